"""Hadamard gates on many qubits at once by a fast Walsh-Hadamard transform.

``H`` on each of the qubits ``q_1..q_k`` is the tensor product ``H^(x)k``, whose matrix is the
Walsh-Hadamard matrix ``W_ij = 2^(-k/2) (-1)^popcount(i & j)`` (Nielsen and Chuang, 2010,
Quantum Computation and Quantum Information, eq. 1.50). The fast transform factors it into
``k`` butterflies ``(a, b) -> (a + b, a - b) / sqrt(2)`` (Fino and Algazi, 1976, "Unified
matrix treatment of the fast Walsh-Hadamard transform", IEEE Trans. Computers C-25, 1142).

Butterflies on up to ``RADIX_BITS`` adjacent qubits are fused into one pass over the state,
so ``H`` on ``k`` adjacent qubits reads and writes the state ``ceil(k / RADIX_BITS)`` times
instead of ``k`` times.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex

from jaxsim.quantum.state import as_state, check_qubits, n_qubits_of

__all__ = ["RADIX_BITS", "walsh_hadamard", "walsh_hadamard_flat"]

RADIX_BITS = 3
"""Adjacent qubits transformed per pass; 8 outputs per element group keep the fusion small."""

# NOTE: XLA fuses each pass into a loop over output elements, and every output element reads
# all 2^RADIX_BITS inputs of its group. For high qubits those inputs lie far apart, so a
# pass moves several times more bytes than one read and one write of the state.


def _butterfly_block(psi: Array, first: int, size: int, n: int) -> Array:
    """Apply ``H`` to the ``size`` adjacent qubits ``first .. first + size - 1`` in one pass."""
    left, right = 1 << first, 1 << (n - first - size)
    view = psi.reshape((left,) + (2,) * size + (right,))
    # parts[j] is the slice whose block bits spell j (MSB first).
    parts = [view[(slice(None),) + tuple(int(b) for b in np.binary_repr(j, size)) + (slice(None),)]
             for j in range(1 << size)]
    for bit in range(size):
        stride = 1 << (size - 1 - bit)
        nxt = list(parts)
        for j in range(1 << size):
            if j & stride == 0:
                a, b = parts[j], parts[j | stride]
                nxt[j], nxt[j | stride] = a + b, a - b
        parts = nxt
    scale = np.float32(2.0 ** (-size / 2))
    stacked = jnp.stack(parts, axis=1) * scale.astype(psi.real.dtype)
    return stacked.reshape(-1)


def _runs(qubits: Sequence[int]) -> list[tuple[int, int]]:
    """Split sorted qubits into ``(first, size)`` runs of adjacent qubits, each <= RADIX_BITS."""
    runs: list[tuple[int, int]] = []
    for q in sorted(qubits):
        if runs and runs[-1][0] + runs[-1][1] == q and runs[-1][1] < RADIX_BITS:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((q, 1))
    return runs


def walsh_hadamard_flat(psi: Complex[Array, " dim"], qubits: tuple[int, ...], n: int) -> Complex[Array, " dim"]:
    """Apply ``H`` to every qubit in ``qubits`` of the flat ``n``-qubit state ``psi``."""
    for first, size in _runs(qubits):
        psi = _butterfly_block(psi, first, size, n)
    return psi


@functools.partial(jax.jit, static_argnames=("qubits",), donate_argnums=0)
def _walsh_donated(state, qubits):
    n = state.ndim
    return walsh_hadamard_flat(state.reshape(-1), qubits, n).reshape(state.shape)


def walsh_hadamard(state: Complex[Array, "..."], qubits: Sequence[int] | None = None) -> Complex[Array, "..."]:
    """Apply a Hadamard gate to each of ``qubits`` (default: all) of ``state``.

    The input buffer is donated, so ``state`` may be deleted after the call.

    Args:
        state: shape ``(2,) * n``.
        qubits: distinct indices in ``[0, n)``.

    Returns:
        ``H^(x)k psi``, same shape and dtype.

    Raises:
        ValueError: for a bad state shape or bad qubit indices.
    """
    n = n_qubits_of(state)
    qubits = tuple(range(n)) if qubits is None else check_qubits(tuple(qubits), n)
    state = as_state(state)
    if isinstance(state, jax.core.Tracer):
        return walsh_hadamard_flat(state.reshape(-1), tuple(sorted(qubits)), n).reshape(state.shape)
    return _walsh_donated(state, tuple(sorted(qubits)))
