"""Exponential and logistic growth: ODE solutions against the closed forms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.technosphere import (
    ExponentialGrowth,
    LogisticGrowth,
    exponential_power,
    exponential_time_to_power,
    logistic_capacity,
    logistic_power,
    logistic_time_to_power,
    solve_growth,
)

TS = np.linspace(0.0, 800.0, 9)


def test_exponential_closed_form_values():
    assert float(exponential_power(100.0, 2.0, 0.01)) == pytest.approx(2.0 * np.e, rel=1e-6)
    # ln(1000) / 0.02 = 345.3878 years.
    assert float(exponential_time_to_power(1e3, 1.0, 0.02)) == pytest.approx(345.38776, rel=1e-6)


def test_logistic_closed_form_values():
    # At t = 0 the power is P0; at the half-capacity time ln(K / P0 - 1) / r it is K / 2.
    assert float(logistic_power(0.0, 5.0, 0.1, 100.0)) == pytest.approx(5.0, rel=1e-6)
    t_half = np.log(100.0 / 5.0 - 1.0) / 0.1
    assert float(logistic_power(t_half, 5.0, 0.1, 100.0)) == pytest.approx(50.0, rel=1e-5)
    assert float(logistic_time_to_power(50.0, 5.0, 0.1, 100.0)) == pytest.approx(t_half, rel=1e-6)
    assert float(logistic_time_to_power(100.0, 5.0, 0.1, 100.0)) == np.inf


def test_logistic_capacity():
    assert float(logistic_capacity(1.7e17, 0.93)) == pytest.approx(1.581e17, rel=1e-6)
    with pytest.raises(ValueError, match="efficiency_cap"):
        logistic_capacity(1.7e17, 1.2)


def test_exponential_ode_matches_closed_form(x64):
    model = ExponentialGrowth(0.017, 2e13)
    solution = solve_growth(model, TS, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(jnp.exp(solution.ys), exponential_power(TS, 2e13, 0.017), rtol=1e-9)


def test_logistic_ode_matches_closed_form(x64):
    model = LogisticGrowth(0.02, 1.6e17, 2e13)
    solution = solve_growth(model, TS, rtol=1e-10, atol=1e-10)
    # Tsit5 at rtol 1e-10 per step accumulates a global error of order 1e-8 in ln P over the
    # ~100 steps and 9 e-foldings; 1e-7 leaves a margin and still catches any wrong term.
    np.testing.assert_allclose(jnp.exp(solution.ys), logistic_power(TS, 2e13, 0.02, 1.6e17), rtol=1e-7)


def test_logistic_ode_float32():
    model = LogisticGrowth(0.02, 1.6e17, 2e13)
    solution = solve_growth(model, TS)
    assert solution.ys.dtype == jnp.float32
    # ln P is about 40, so float32 rounding limits ln P to ~1e-5 and P to a relative 1e-4.
    np.testing.assert_allclose(jnp.exp(solution.ys), logistic_power(TS, 2e13, 0.02, 1.6e17), rtol=1e-4)


@pytest.mark.slow
def test_logistic_ode_gradients_match_closed_form(x64):
    def final_log_power(params):
        rate, capacity, power0 = params
        return solve_growth(LogisticGrowth(rate, capacity, power0), TS, rtol=1e-10, atol=1e-10).ys[-1]

    def closed(params):
        rate, capacity, power0 = params
        return jnp.log(logistic_power(TS[-1], power0, rate, capacity))

    params = jnp.array([0.02, 1.6e17, 2e13])  # float64 under the x64 fixture
    np.testing.assert_allclose(jax.grad(final_log_power)(params), jax.grad(closed)(params), rtol=1e-6)


def test_growth_vmaps_over_rates_without_retracing():
    counter = TraceCounter(lambda rate: solve_growth(ExponentialGrowth(rate, 1.0), TS).ys[-1])
    solve = jax.jit(jax.vmap(counter))
    first = solve(jnp.array([0.01, 0.02]))
    second = solve(jnp.array([0.03, 0.04]))
    np.testing.assert_allclose(first, [8.0, 16.0], rtol=1e-5)
    np.testing.assert_allclose(second, [24.0, 32.0], rtol=1e-5)
    assert counter.count == 1


@pytest.mark.parametrize(
    ("args", "match"),
    [((0.02, 0.0), "power0"), ((float("nan"), 1.0), "rate")],
)
def test_exponential_rejects_bad_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        ExponentialGrowth(*args)


@pytest.mark.parametrize(
    ("args", "match"),
    [((-0.02, 1e17, 1e13), "rate"), ((0.02, -1e17, 1e13), "capacity"), ((0.02, 1e17, float("nan")), "power0")],
)
def test_logistic_rejects_bad_parameters(args, match):
    with pytest.raises(ValueError, match=match):
        LogisticGrowth(*args)


def test_time_to_power_rejects_zero_rate_and_start_above_capacity():
    with pytest.raises(ValueError, match="rate=0"):
        exponential_time_to_power(10.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="below the capacity"):
        logistic_time_to_power(10.0, 200.0, 0.1, 100.0)
