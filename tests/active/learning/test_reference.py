"""Exact linear references: closed forms, the Lyapunov equation and Monte Carlo checks."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active.learning import (
    aoup_trap_entropy_production,
    aoup_trap_reference,
    linear_reference,
    tethered_lattice,
)
from jaxsim.active.learning._lyapunov import solve_lyapunov


@pytest.mark.parametrize("v0, gamma, eps, stiffness", [(1.0, 1.0, 0.5, 1.0), (2.5, 0.3, 0.1, 4.0)])
def test_aoup_trap_epr_closed_form(x64, v0, gamma, eps, stiffness):
    reference = aoup_trap_reference(v0, gamma, eps, stiffness)
    expected = gamma * v0**2 / (eps * (stiffness + gamma))
    assert float(reference.entropy_production()) == pytest.approx(expected, rel=1e-10)
    assert aoup_trap_entropy_production(v0, gamma, eps, stiffness) == pytest.approx(expected, rel=1e-14)


def test_lyapunov_residual_random_stable(x64):
    rng = np.random.default_rng(0)
    for n in (2, 7, 20):
        m = rng.normal(size=(n, n)) - 8.0 * np.eye(n)
        d = np.diag(rng.uniform(0.1, 1.0, n))
        sigma = solve_lyapunov(m, d)
        residual = m @ sigma + sigma @ m.T + 2 * d
        assert np.abs(residual).max() < 1e-10


def test_lyapunov_defective_drift(x64):
    # Equal trap and propulsion rates make M a Jordan block; the closed-form EPR must still hold.
    reference = aoup_trap_reference(1.0, 1.0, 0.5, 1.0)
    m, d, sigma = (np.asarray(a) for a in (reference.drift_matrix, reference.diffusion, reference.covariance))
    assert np.abs(m @ sigma + sigma @ m.T + 2 * d).max() < 1e-12


def test_lattice_without_springs_is_independent(x64):
    lattice = tethered_lattice(3, spring=0.0, v0=1.2, gamma=0.7, eps=0.4, stiffness=1.5)
    single = aoup_trap_entropy_production(1.2, 0.7, 0.4, 1.5)
    assert float(lattice.entropy_production()) == pytest.approx(9 * 2 * single, rel=1e-9)


def test_lattice_epr_matches_monte_carlo(x64):
    lattice = tethered_lattice(4, spacing=3.0)
    positions, g, u = lattice.sample(jax.random.key(0), 1000)
    bx, bg = lattice.drift(u, g)
    sx, sg = lattice.score(u, g)
    vx, vg = bx - lattice.eps * sx, bg - lattice.gamma * sg
    per_sample = jnp.sum(vx**2, axis=(1, 2)) / lattice.eps + jnp.sum(vg**2, axis=(1, 2)) / lattice.gamma
    mean = float(per_sample.mean())
    standard_error = float(per_sample.std() / np.sqrt(per_sample.size))
    # 4 standard errors: a false failure has probability below 1e-4.
    assert abs(mean - float(lattice.entropy_production())) < 4 * standard_error
    assert positions.min() >= 0
    assert positions.max() < lattice.box_size


def test_lattice_sample_covariance(x64):
    lattice = tethered_lattice(3, spacing=3.0)
    _, g, u = lattice.sample(jax.random.key(1), 4000)
    # Component 0 of every particle, ordered (u_0, g_0, u_1, g_1, ...).
    z = jnp.stack([u[..., 0], g[..., 0]], axis=-1).reshape(4000, -1)
    empirical = np.cov(np.asarray(z).T)
    exact = np.asarray(lattice.reference.covariance)
    # Entry-wise standard error of a sample covariance is below sqrt(2) max(Sigma) / sqrt(samples).
    bound = 5 * np.sqrt(2) * exact.max() / np.sqrt(4000)
    assert np.abs(empirical - exact).max() < bound


def test_score_is_gradient_of_log_density(x64):
    reference = aoup_trap_reference(1.0, 2.0, 0.5, 1.0)
    z = jnp.array([0.3, -0.7])
    log_density = lambda z: -0.5 * z @ reference.precision @ z  # noqa: E731
    np.testing.assert_allclose(reference.score(z), jax.grad(log_density)(z), rtol=1e-12)


def test_linear_reference_rejects_bad_input():
    with pytest.raises(ValueError, match="not stable"):
        linear_reference(jnp.array([[0.5, 0.0], [0.0, -1.0]]), jnp.eye(2))
    with pytest.raises(ValueError, match="positive definite"):
        linear_reference(-jnp.eye(2), jnp.diag(jnp.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="equal shapes"):
        linear_reference(-jnp.eye(2), jnp.eye(3))
    with pytest.raises(ValueError, match="eps must be > 0"):
        aoup_trap_entropy_production(1.0, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="n_side"):
        tethered_lattice(2)
    with pytest.raises(ValueError, match="gamma"):
        tethered_lattice(3, gamma=-1.0)


def test_lyapunov_matches_dynamics_solver(x64):
    # The dynamics package solves the vectorised equation, exact for small n.
    from jaxsim.active.linear import solve_lyapunov as solve_vectorised

    rng = np.random.default_rng(1)
    m = rng.normal(size=(6, 6)) - 6.0 * np.eye(6)
    d = np.diag(rng.uniform(0.1, 1.0, 6))
    np.testing.assert_allclose(solve_lyapunov(m, d), np.asarray(solve_vectorised(jnp.asarray(m), jnp.asarray(d))), rtol=1e-9, atol=1e-12)


def test_lattice_epr_parts_total_and_samples(x64):
    lattice = tethered_lattice(4, spacing=2.0)
    x_part, g_part = lattice.entropy_production_parts()
    np.testing.assert_allclose(float(x_part + g_part), float(lattice.entropy_production()), rtol=1e-10)
    # Monte Carlo of <|v_x|^2> / eps with the exact score; 4000 samples give about 1 percent.
    _, g, u = lattice.sample(jax.random.key(2), 4000)
    bx, _ = lattice.drift(u, g)
    sx, _ = lattice.score(u, g)
    monte_carlo = float(jnp.mean(jnp.sum((bx - lattice.eps * sx) ** 2, axis=(1, 2)))) / lattice.eps
    np.testing.assert_allclose(monte_carlo, float(x_part), rtol=0.04)
