"""Continuous Lyapunov solver used until the dynamics package provides one."""

from __future__ import annotations

import numpy as np


def solve_lyapunov(drift_matrix, diffusion, *, iterations: int = 60):
    """Solve ``M Sigma + Sigma M^T + 2 D = 0`` in float64 with the squared Smith iteration.

    The Cayley transform ``Ad = (q I + M)(q I - M)^{-1}`` maps the stable ``M`` to ``Ad`` with
    spectral radius below one, and ``Sigma = sum_k Ad^k Qd Ad^kT`` with
    ``Qd = 2 q (q I - M)^{-1} (2 D) (q I - M)^{-T}``; doubling sums ``2^iterations`` terms.
    Unlike an eigendecomposition it stays accurate for defective ``M`` (equal rates in
    the trap and the propulsion).
    """
    m = np.asarray(drift_matrix, dtype=np.float64)
    q_matrix = 2.0 * np.asarray(diffusion, dtype=np.float64)
    q = float(np.sqrt(np.abs(np.linalg.eigvals(m)).max() * max(np.abs(np.linalg.eigvals(m)).min(), 1e-12)))
    eye = np.eye(m.shape[0])
    inverse = np.linalg.inv(q * eye - m)
    a = (q * eye + m) @ inverse
    sigma = 2.0 * q * inverse @ q_matrix @ inverse.T
    for _ in range(iterations):
        sigma = sigma + a @ sigma @ a.T
        a = a @ a
        if np.abs(a).max() < 1e-300:
            break
    return sigma
