"""Dense-matrix reference for the statevector tests (small n only)."""

from __future__ import annotations

import numpy as np


def full_operator(matrix: np.ndarray, qubits: tuple[int, ...], n: int) -> np.ndarray:
    """Return the 2^n x 2^n matrix of ``matrix`` acting on ``qubits`` (first = most significant)."""
    k = len(qubits)
    dim = 1 << n
    out = np.zeros((dim, dim), complex)
    for col in range(dim):
        bits = [(col >> (n - 1 - q)) & 1 for q in range(n)]
        sub = 0
        for q in qubits:
            sub = 2 * sub + bits[q]
        for row_sub in range(1 << k):
            new = list(bits)
            for position, q in enumerate(qubits):
                new[q] = (row_sub >> (k - 1 - position)) & 1
            row = int("".join(map(str, new)), 2)
            out[row, col] += matrix[row_sub, sub]
    return out


def controlled_matrix(u: np.ndarray) -> np.ndarray:
    """Return ``|0><0| x 1 + |1><1| x u`` on ``|control target>``."""
    big = np.eye(4, dtype=complex)
    big[2:, 2:] = u
    return big


def random_state(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return a normalised random state of shape (2,) * n, complex128."""
    psi = rng.normal(size=1 << n) + 1j * rng.normal(size=1 << n)
    return (psi / np.linalg.norm(psi)).reshape((2,) * n)
