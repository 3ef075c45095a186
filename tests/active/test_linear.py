"""Tests of the Lyapunov solvers and the linear AOUP system."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active import aoup_discrete_system, aoup_linear_system, solve_discrete_lyapunov, solve_lyapunov


def test_single_aoup_closed_form(x64):
    # One AOUP per axis: <g^2> = 1, <x g> = v0 / (A + gamma), <x^2> = (eps + v0^2 / (A + gamma)) / A.
    A, v0, gamma, eps = 2.0, 1.5, 0.7, 0.3
    M, D = aoup_linear_system(1, dim=1, trap_stiffness=A, v0=v0, gamma=gamma, eps=eps)
    sigma = np.asarray(solve_lyapunov(M, D))
    np.testing.assert_allclose(sigma[1, 1], 1.0, rtol=1e-12)
    np.testing.assert_allclose(sigma[0, 1], v0 / (A + gamma), rtol=1e-12)
    np.testing.assert_allclose(sigma[0, 0], (eps + v0**2 / (A + gamma)) / A, rtol=1e-12)


def test_residual_vanishes_for_random_stable_matrix(x64):
    rng = np.random.default_rng(0)
    B = rng.normal(size=(6, 6))
    M = B - (np.abs(np.linalg.eigvals(B)).max() + 1.0) * np.eye(6)
    C = rng.normal(size=(6, 6))
    D = C @ C.T
    sigma = solve_lyapunov(M, D)
    residual = M @ sigma + sigma @ M.T + 2 * D
    assert float(jnp.max(jnp.abs(residual))) < 1e-10
    np.testing.assert_allclose(sigma, sigma.T)


def test_spring_system_center_of_mass(x64):
    # The centre of mass feels only the trap: Var(x_cm) = (eps / n + v0^2 / (n (A + gamma))) / A.
    n, A, k, v0, gamma, eps = 4, 1.0, 0.8, 1.2, 2.0, 0.1
    M, D = aoup_linear_system(n, dim=2, trap_stiffness=A, spring_stiffness=k, v0=v0, gamma=gamma, eps=eps)
    sigma = np.asarray(solve_lyapunov(M, D))
    weights = np.zeros(2 * n * 2)
    weights[0 : 2 * n : 2] = 1.0 / n
    variance = weights @ sigma @ weights
    np.testing.assert_allclose(variance, (eps / n + v0**2 / (n * (A + gamma))) / A, rtol=1e-10)
    # Axes are independent.
    assert abs(sigma[0, 1]) < 1e-12


def test_discrete_tends_to_continuous(x64):
    kwargs = dict(trap_stiffness=1.0, spring_stiffness=0.5, v0=1.0, gamma=1.5, eps=0.2)
    M, D = aoup_linear_system(3, dim=1, **kwargs)
    exact = np.asarray(solve_lyapunov(M, D))
    errors = []
    for dt in (0.02, 0.01):
        F, Q = aoup_discrete_system(3, dt, dim=1, **kwargs)
        sigma = np.asarray(solve_discrete_lyapunov(F, Q))
        np.testing.assert_allclose(sigma, F @ sigma @ F.T + Q, atol=1e-12)
        errors.append(np.abs(sigma - exact).max())
    # Euler-Maruyama has a first-order bias of the stationary covariance: halving dt halves it.
    assert 1.7 < errors[0] / errors[1] < 2.3


def test_gradient_matches_finite_differences(x64):
    def loss(params):
        A, k, v0, gamma, eps = params
        M, D = aoup_linear_system(2, dim=1, trap_stiffness=A, spring_stiffness=k, v0=v0, gamma=gamma, eps=eps)
        sigma = solve_lyapunov(M, D)
        return jnp.sum(sigma * jnp.arange(16.0).reshape(4, 4))

    params = jnp.asarray([1.3, 0.4, 0.9, 1.7, 0.25])
    grad = jax.grad(loss)(params)
    step = 1e-6
    for i in range(5):
        unit = jnp.zeros(5).at[i].set(step)
        central = (loss(params + unit) - loss(params - unit)) / (2 * step)
        np.testing.assert_allclose(grad[i], central, rtol=1e-6, atol=1e-9)


def test_matrix_gradient_matches_finite_differences(x64):
    rng = np.random.default_rng(1)
    M = jnp.asarray(rng.normal(size=(3, 3)) - 3.0 * np.eye(3))
    D = jnp.asarray(np.diag([0.5, 1.0, 2.0]))
    weights = jnp.asarray(rng.normal(size=(3, 3)))
    loss = lambda M, D: jnp.sum(weights * solve_lyapunov(M, D))  # noqa: E731
    grad_M, grad_D = jax.grad(loss, argnums=(0, 1))(M, D)
    step = 1e-6
    for i, j in [(0, 0), (0, 2), (2, 1)]:
        unit = jnp.zeros((3, 3)).at[i, j].set(step)
        np.testing.assert_allclose(grad_M[i, j], (loss(M + unit, D) - loss(M - unit, D)) / (2 * step), rtol=1e-6)
        np.testing.assert_allclose(grad_D[i, j], (loss(M, D + unit) - loss(M, D - unit)) / (2 * step), rtol=1e-6)


def test_solvers_under_jit_and_vmap():
    def sigma_xx(A):
        M, D = aoup_linear_system(1, dim=1, trap_stiffness=A, v0=1.0, gamma=1.0, eps=0.0)
        return solve_lyapunov(M, D)[0, 0]

    stiffness = jnp.asarray([0.5, 1.0, 2.0])
    values = jax.jit(jax.vmap(sigma_xx))(stiffness)
    np.testing.assert_allclose(values, 1.0 / (stiffness * (stiffness + 1.0)), rtol=1e-5)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="square"):
        solve_lyapunov(jnp.zeros((2, 3)), jnp.zeros((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        solve_lyapunov(jnp.zeros((2, 2)), jnp.zeros((3, 3)))
    with pytest.raises(ValueError, match="gamma"):
        aoup_linear_system(2, trap_stiffness=1.0, gamma=0.0)
    with pytest.raises(ValueError, match="eps"):
        aoup_linear_system(2, trap_stiffness=1.0, eps=-1.0)
    with pytest.raises(ValueError, match="n="):
        aoup_linear_system(0, trap_stiffness=1.0)
