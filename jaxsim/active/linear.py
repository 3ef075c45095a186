"""Exact stationary covariances of linear active systems, from Lyapunov equations.

A linear SDE ``dz = M z dt + sqrt(2 D) dW`` with ``M`` stable (every eigenvalue has a negative
real part) has a Gaussian stationary density of zero mean whose covariance ``Sigma`` solves the
continuous Lyapunov equation

    M Sigma + Sigma M^T + 2 D = 0

(Gardiner 2009, "Stochastic Methods", 4th ed., section 4.5.6; Risken 1989, "The Fokker-Planck
Equation", section 6.5). Its discretisation ``z' = F z + xi`` with noise covariance ``Q`` has the
stationary covariance of the discrete Lyapunov (Stein) equation ``Sigma = F Sigma F^T + Q``, which
is what a finite-step simulation samples exactly.

Both are solved by vectorisation: ``vec(A X B) = (B^T kron A) vec(X)`` turns them into one linear
system of size ``n^2``, solved by LU in O(n^6) time and O(n^4) memory, so they suit
``n <= 100`` or so. The solves are differentiable with an implicit adjoint: the gradient of a loss
``l(Sigma)`` needs one more Lyapunov solve with ``M^T`` (for the continuous equation,
``M^T W + W M = dl/dSigma`` gives ``dl/dM = -(W Sigma^T + W^T Sigma)`` and ``dl/dD = -2 W``).

:func:`aoup_linear_system` builds ``(M, D)`` for active Ornstein-Uhlenbeck particles in a
harmonic trap with harmonic pair springs of zero rest length and no cutoff (Caprini, Marini Bettolo
Marconi and Puglisi 2019, "Activity induced delocalization and freezing in self-propelled systems",
Sci. Rep. 9, 1386, use the same linear model).
"""

from __future__ import annotations


import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = [
    "aoup_linear_system",
    "aoup_discrete_system",
    "solve_discrete_lyapunov",
    "solve_lyapunov",
]


def _check_square(name: str, matrix: Array) -> None:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix, got shape {matrix.shape}.")


def _check_pair(M: Array, D: Array, names: tuple[str, str]) -> None:
    _check_square(names[0], M)
    _check_square(names[1], D)
    if M.shape != D.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {M.shape} and {D.shape}.")


def _vec_solve(operator: Array, rhs: Array) -> Array:
    n = rhs.shape[0]
    # Column-major vec: vec(X)[i + n j] = X[i, j], i.e. the row-major ravel of X^T.
    solution = jnp.linalg.solve(operator, rhs.T.reshape(-1))
    return solution.reshape(n, n).T


def _lyapunov_forward(M: Array, D: Array) -> Array:
    n = M.shape[0]
    eye = jnp.eye(n, dtype=M.dtype)
    operator = jnp.kron(eye, M) + jnp.kron(M, eye)
    sigma = _vec_solve(operator, -2.0 * D)
    return 0.5 * (sigma + sigma.T)


@jax.custom_vjp
def _lyapunov(M: Array, D: Array) -> Array:
    return _lyapunov_forward(M, D)


def _lyapunov_fwd(M, D):
    sigma = _lyapunov_forward(M, D)
    return sigma, (M, sigma)


def _lyapunov_bwd(residuals, cotangent):
    M, sigma = residuals
    # Adjoint equation M^T W + W M = G, i.e. the forward problem for M^T with D = -G / 2. The
    # forward output is symmetrised, so the cotangent is symmetrised too.
    cotangent = 0.5 * (cotangent + cotangent.T)
    n = M.shape[0]
    eye = jnp.eye(n, dtype=M.dtype)
    operator = jnp.kron(eye, M.T) + jnp.kron(M.T, eye)
    W = _vec_solve(operator, cotangent)
    grad_M = -(W @ sigma.T + W.T @ sigma)
    grad_D = -2.0 * W
    return grad_M, grad_D


_lyapunov.defvjp(_lyapunov_fwd, _lyapunov_bwd)


def solve_lyapunov(M: Float[ArrayLike, "n n"], D: Float[ArrayLike, "n n"]) -> Float[Array, "n n"]:
    """Solve ``M Sigma + Sigma M^T + 2 D = 0`` for the stationary covariance of ``dz = M z dt + sqrt(2 D) dW``.

    Args:
        M: drift matrix; must be stable (all eigenvalues with negative real part), else the
            result is not a covariance. Its eigenvalues must not contain a pair with
            ``lambda_i + lambda_j = 0``, for which the equation is singular.
        D: symmetric diffusion matrix, positive semi-definite.

    Returns:
        The symmetric covariance ``Sigma``. Differentiable in ``M`` and ``D`` (implicit adjoint),
        and usable under ``jit`` and ``vmap``. Cost O(n^6) time and O(n^4) memory.
    """
    M = jnp.asarray(M)
    D = jnp.asarray(D)
    _check_pair(M, D, ("M", "D"))
    dtype = jnp.result_type(M.dtype, D.dtype, jnp.float32)
    return _lyapunov(M.astype(dtype), D.astype(dtype))


def solve_discrete_lyapunov(F: Float[ArrayLike, "n n"], Q: Float[ArrayLike, "n n"]) -> Float[Array, "n n"]:
    """Solve ``Sigma = F Sigma F^T + Q``, the stationary covariance of ``z' = F z + xi``, cov(xi) = Q.

    ``F`` must have spectral radius below one. Differentiable by automatic differentiation of the
    vectorised solve ``(I - F kron F) vec(Sigma) = vec(Q)``.
    """
    F = jnp.asarray(F)
    Q = jnp.asarray(Q)
    _check_pair(F, Q, ("F", "Q"))
    dtype = jnp.result_type(F.dtype, Q.dtype, jnp.float32)
    F = F.astype(dtype)
    Q = Q.astype(dtype)
    n = F.shape[0]
    operator = jnp.eye(n * n, dtype=dtype) - jnp.kron(F, F)
    sigma = _vec_solve(operator, Q)
    return 0.5 * (sigma + sigma.T)


def _check_linear_parameters(n: int, dim: int, gamma: float, eps: float) -> None:
    if not (isinstance(n, int) and n > 0):
        raise ValueError(f"the particle number n must be a positive integer, got n={n!r}.")
    if not (isinstance(dim, int) and dim > 0):
        raise ValueError(f"dim must be a positive integer, got dim={dim!r}.")
    for name, value in (("gamma", gamma), ("eps", eps)):
        try:
            concrete = float(value)
        except (TypeError, jax.errors.ConcretizationTypeError):
            continue
        if name == "gamma" and not concrete > 0:
            raise ValueError(f"gamma must be positive, got gamma={concrete}.")
        if name == "eps" and not concrete >= 0:
            raise ValueError(f"eps must be >= 0, got eps={concrete}.")


def aoup_linear_system(
    n: int,
    *,
    dim: int = 2,
    trap_stiffness: Float[ArrayLike, ""],
    spring_stiffness: Float[ArrayLike, ""] = 0.0,
    v0: Float[ArrayLike, ""] = 1.0,
    gamma: Float[ArrayLike, ""] = 1.0,
    eps: Float[ArrayLike, ""] = 0.0,
) -> tuple[Float[Array, "m m"], Float[Array, "m m"]]:
    """Build ``(M, D)`` for ``n`` trapped AOUPs joined pairwise by harmonic springs.

    The model (overdamped, unit mobility) is

        dx_i = (v0 g_i - A x_i - k sum_{j != i} (x_i - x_j)) dt + sqrt(2 eps) dW_i,
        dg_i = -gamma g_i dt + sqrt(2 gamma) dB_i,

    with every pair joined by a spring of stiffness ``k`` and zero rest length. The state is
    ``z = (x_1, ..., x_n, g_1, ..., g_n)`` with each vector's ``dim`` components in a row, so
    ``z = concatenate([x.ravel(), g.ravel()])`` for arrays of shape ``(n, dim)``.

    Returns:
        ``(M, D)`` of size ``2 n dim``, for :func:`solve_lyapunov`. The system is stable for
        ``A > 0`` and ``gamma > 0``.
    """
    _check_linear_parameters(n, dim, gamma, eps)
    A = jnp.asarray(trap_stiffness, dtype=jnp.result_type(float))
    k = jnp.asarray(spring_stiffness, dtype=A.dtype)
    v0 = jnp.asarray(v0, dtype=A.dtype)
    gamma = jnp.asarray(gamma, dtype=A.dtype)
    eps = jnp.asarray(eps, dtype=A.dtype)
    # Spring Laplacian of the complete graph: L = n I - 1 1^T, force -k L x.
    laplacian = n * jnp.eye(n, dtype=A.dtype) - jnp.ones((n, n), dtype=A.dtype)
    per_axis = -A * jnp.eye(n, dtype=A.dtype) - k * laplacian
    eye_dim = jnp.eye(dim, dtype=A.dtype)
    eye_x = jnp.eye(n * dim, dtype=A.dtype)
    m_xx = jnp.kron(per_axis, eye_dim)
    top = jnp.concatenate([m_xx, v0 * eye_x], axis=1)
    bottom = jnp.concatenate([jnp.zeros_like(eye_x), -gamma * eye_x], axis=1)
    M = jnp.concatenate([top, bottom], axis=0)
    zeros = jnp.zeros_like(eye_x)
    D = jnp.block([[eps * eye_x, zeros], [zeros, gamma * eye_x]])
    return M, D


def aoup_discrete_system(
    n: int,
    dt: Float[ArrayLike, ""],
    *,
    dim: int = 2,
    trap_stiffness: Float[ArrayLike, ""],
    spring_stiffness: Float[ArrayLike, ""] = 0.0,
    v0: Float[ArrayLike, ""] = 1.0,
    gamma: Float[ArrayLike, ""] = 1.0,
    eps: Float[ArrayLike, ""] = 0.0,
) -> tuple[Float[Array, "m m"], Float[Array, "m m"]]:
    """Build ``(F, Q)`` of one step of the AOUP integrator for :func:`solve_discrete_lyapunov`.

    The step is Euler-Maruyama for ``x`` (using ``g`` at the start of the step) and the exact
    Ornstein-Uhlenbeck transition for ``g``:

        x' = x + (M_xx x + v0 g) dt + sqrt(2 eps dt) xi,
        g' = exp(-gamma dt) g + sqrt(1 - exp(-2 gamma dt)) eta,

    so ``F = [[I + dt M_xx, v0 dt I], [0, exp(-gamma dt) I]]`` and
    ``Q = diag(2 eps dt I, (1 - exp(-2 gamma dt)) I)``. Its stationary covariance differs from the
    continuous one by O(dt).
    """
    M, _ = aoup_linear_system(
        n, dim=dim, trap_stiffness=trap_stiffness, spring_stiffness=spring_stiffness, v0=v0, gamma=gamma, eps=eps
    )
    dt = jnp.asarray(dt, dtype=M.dtype)
    gamma = jnp.asarray(gamma, dtype=M.dtype)
    eps = jnp.asarray(eps, dtype=M.dtype)
    half = n * dim
    eye = jnp.eye(half, dtype=M.dtype)
    decay = jnp.exp(-gamma * dt)
    top = jnp.concatenate([eye + dt * M[:half, :half], dt * M[:half, half:]], axis=1)
    bottom = jnp.concatenate([jnp.zeros_like(eye), decay * eye], axis=1)
    F = jnp.concatenate([top, bottom], axis=0)
    zeros = jnp.zeros_like(eye)
    Q = jnp.block([[2.0 * eps * dt * eye, zeros], [zeros, (1.0 - decay**2) * eye]])
    return F, Q


