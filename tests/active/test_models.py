"""Exact checks of the AOUP and ABP integrators: OU statistics, ABP mean squared displacement and
Gaussian stationary covariances of the linear trapped system."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.active import (
    ABP,
    AOUP,
    System,
    advance,
    aoup_discrete_system,
    aoup_linear_system,
    open_space,
    periodic_box,
    solve_discrete_lyapunov,
    solve_lyapunov,
)


def _free_run(system, state, key, n_steps):
    return jax.jit(advance, static_argnums=5)(system, state, None, key, 0, n_steps)[0]


def test_aoup_propulsion_is_unit_ou_process():
    # 20000 independent g's: after time t, <g(t) g(0)> = exp(-gamma t) and Var g = 1 exactly, because
    # the update is the exact OU transition.
    n, gamma, dt, steps = 20000, 2.0, 0.05, 10
    system = System(AOUP(v0=0.0, gamma=gamma, eps=0.0), open_space(1), dt)
    state = system.init(jax.random.key(0), jnp.zeros((n, 1)))
    final = _free_run(system, state, jax.random.key(1), steps)
    g0 = np.asarray(state.propulsion[:, 0])
    g1 = np.asarray(final.propulsion[:, 0])
    # Standard errors: sqrt(2 / n) for a unit variance, sqrt((1 + rho^2) / n) for a covariance.
    rho = np.exp(-gamma * dt * steps)
    assert abs(np.var(g1) - 1.0) < 5 * np.sqrt(2 / n)
    assert abs(np.mean(g0 * g1) - rho) < 5 * np.sqrt((1 + rho**2) / n)
    assert abs(np.mean(g1)) < 5 / np.sqrt(n)


def test_abp_msd_matches_closed_form():
    # Free ABPs: MSD(t) = 4 Dt t + 2 v0^2 / Dr^2 (Dr t - 1 + exp(-Dr t)) (ten Hagen, van Teeffelen
    # and Loewen 2011, J. Phys.: Condens. Matter 23, 194119). With the angle at the start of each
    # step, the discrete propulsion term is v0^2 dt^2 sum_{k,l} exp(-Dr dt |k - l|) exactly.
    n, v0, dr, dt_diff, dt, steps = 20000, 1.5, 0.8, 0.1, 0.02, 100
    system = System(ABP(v0, dr, dt_diff), open_space(2), dt)
    state = system.init(jax.random.key(2), jnp.zeros((n, 2)))
    final = _free_run(system, state, jax.random.key(3), steps)
    msd = float(jnp.mean(jnp.sum(final.positions**2, axis=-1)))
    t = dt * steps
    closed = 4 * dt_diff * t + 2 * v0**2 / dr**2 * (dr * t - 1 + np.exp(-dr * t))
    lags = np.arange(1, steps)
    discrete = 4 * dt_diff * t + v0**2 * dt**2 * (steps + 2 * np.sum((steps - lags) * np.exp(-dr * dt * lags)))
    # The squared displacement of one particle has a standard deviation of the order of the MSD,
    # so the mean over n has a relative error below 2 / sqrt(n) (Gaussian limit sqrt(2 / n)).
    assert abs(msd - discrete) < 5 * np.sqrt(2 / n) * discrete
    # The first-order discretisation bias is small at this dt.
    assert abs(discrete - closed) < 0.02 * closed


@pytest.mark.parametrize("eps", [0.0, pytest.param(0.3, marks=pytest.mark.slow)])
def test_linear_system_reproduces_lyapunov_covariance(eps):
    # 4000 replicas of 3 trapped AOUPs joined by springs, sampled after 20 relaxation times.
    n, dim, replicas = 3, 2, 4000
    params = dict(trap_stiffness=1.0, spring_stiffness=0.5, v0=1.2, gamma=1.5, eps=eps)
    dt, steps = 0.01, 1000
    system = System(AOUP(params["v0"], params["gamma"], eps), open_space(dim), dt,
                    trap_stiffness=params["trap_stiffness"], spring_stiffness=params["spring_stiffness"])

    def sample(key):
        init_key, run_key = jax.random.split(key)
        state = system.init(init_key, jnp.zeros((n, dim)))
        final = advance(system, state, None, run_key, 0, steps)[0]
        return jnp.concatenate([final.positions.ravel(), final.propulsion.ravel()])

    z = np.asarray(jax.jit(jax.vmap(sample))(jax.random.split(jax.random.key(4), replicas)), dtype=np.float64)
    empirical = z.T @ z / replicas
    with jax.enable_x64(True):
        F, Q = aoup_discrete_system(n, dt, dim=dim, **params)
        exact_discrete = np.asarray(solve_discrete_lyapunov(F, Q))
        M, D = aoup_linear_system(n, dim=dim, **params)
        exact = np.asarray(solve_lyapunov(M, D))
    # Gaussian sampling error of a covariance entry: sqrt((S_ii S_jj + S_ij^2) / replicas).
    diag = np.diag(exact_discrete)
    sampling = np.sqrt((np.outer(diag, diag) + exact_discrete**2) / replicas)
    assert np.max(np.abs(empirical - exact_discrete) / sampling) < 5.0
    # The continuous covariance differs by the O(dt) bias of Euler-Maruyama, here under 2 percent.
    assert np.max(np.abs(exact_discrete - exact)) < 0.02 * np.max(np.abs(exact))
    # The initial mean is zero and stays zero.
    assert np.max(np.abs(z.mean(axis=0)) / np.sqrt(diag / replicas)) < 5.0


def test_step_traces_once_for_new_parameters():
    space = open_space(2)
    counter = TraceCounter(lambda system, state, key: system.step(state, None, key))
    jitted = jax.jit(counter)
    state = AOUP().init(jax.random.key(5), jnp.zeros((4, 2)))
    for v0, dt in ((1.0, 0.01), (2.0, 0.02), (0.5, 0.001)):
        system = System(AOUP(v0, 1.0, 0.1), space, dt, trap_stiffness=1.0)
        state = jitted(system, state, jax.random.key(6))
    assert counter.count == 1


def test_step_gradient_matches_finite_differences(x64):
    system_for = lambda v0: System(AOUP(v0, 1.0, 0.1), open_space(2), 0.01, trap_stiffness=1.0)  # noqa: E731
    state = AOUP().init(jax.random.key(7), jnp.ones((3, 2), jnp.float64))

    def loss(v0):
        final = advance(system_for(v0), state, None, jax.random.key(8), 0, 20)[0]
        return jnp.sum(final.positions**2)

    grad = jax.grad(loss)(0.7)
    central = (loss(0.7 + 1e-6) - loss(0.7 - 1e-6)) / 2e-6
    np.testing.assert_allclose(grad, central, rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: AOUP(gamma=0.0), "gamma"),
        (lambda: AOUP(gamma=-1.0), "gamma"),
        (lambda: AOUP(eps=-0.1), "eps"),
        (lambda: ABP(rotational_diffusion=-1.0), "rotational_diffusion"),
        (lambda: ABP(translational_diffusion=-1.0), "translational_diffusion"),
        (lambda: System(AOUP(), open_space(2), 0.0), "dt"),
        (lambda: System(AOUP(), open_space(2), -0.1), "dt"),
        (lambda: System(ABP(), open_space(3), 0.1), "two dimensions"),
        (lambda: System(AOUP(), periodic_box(10, 0.5, 0.5), 0.1, trap_stiffness=1.0), "open space"),
    ],
)
def test_bad_parameters_raise(build, match):
    with pytest.raises(ValueError, match=match):
        build()


def test_mismatched_positions_raise():
    system = System(AOUP(), open_space(2), 0.1)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        system.init(jax.random.key(0), jnp.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        ABP().init(jax.random.key(0), jnp.zeros((5, 3)))
