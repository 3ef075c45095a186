"""Event-detected times against the closed forms, their gradients and failure flags."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.technosphere import (
    EARTH_LIMIT_W,
    GALAXY_LIMIT_W,
    SUN_LIMIT_W,
    ExponentialGrowth,
    LogisticGrowth,
    exponential_time_to_power,
    logistic_time_to_power,
    time_to_power,
)

TARGETS = [1e16, EARTH_LIMIT_W, SUN_LIMIT_W, GALAXY_LIMIT_W]
TIGHT = {"rtol": 1e-10, "atol": 1e-10, "root_tol": 1e-10}


@pytest.mark.parametrize("target", TARGETS)
def test_exponential_event_matches_closed_form(x64, target):
    time, reached = time_to_power(ExponentialGrowth(0.0168, 1.98e13), target, 1e5, **TIGHT)
    assert bool(reached)
    assert float(time) == pytest.approx(float(exponential_time_to_power(target, 1.98e13, 0.0168)), rel=1e-9)


def test_logistic_event_matches_closed_form(x64):
    model = LogisticGrowth(0.02, 1.6e17, 2e13)
    # The last target lies above the capacity, so it is never reached.
    targets = np.array([1e14, 1e16, 1.5e17, 1e18])
    times, reached = jax.vmap(lambda target: time_to_power(model, target, 1e4, **TIGHT))(targets)
    np.testing.assert_array_equal(reached, [True, True, True, False])
    assert float(times[-1]) == pytest.approx(1e4)
    np.testing.assert_allclose(times[:3], logistic_time_to_power(targets[:3], 2e13, 0.02, 1.6e17), rtol=1e-8)


def test_event_float32_agrees_with_closed_form():
    times, reached = jax.vmap(lambda target: time_to_power(ExponentialGrowth(0.0168, 1.98e13), target, 1e5))(
        jnp.array(TARGETS)
    )
    assert bool(jnp.all(reached))
    expected = exponential_time_to_power(jnp.array(TARGETS), 1.98e13, 0.0168)
    # float32: ln P near 40-85 is rounded to ~1e-5, so a time of T years carries ~T * 1e-6.
    np.testing.assert_allclose(times, expected, rtol=2e-5)


def test_event_gradient_matches_finite_difference(x64):
    def event_time(rate):
        return time_to_power(ExponentialGrowth(rate, 1.98e13), SUN_LIMIT_W, 1e5, **TIGHT)[0]

    rate, step = 0.0168, 1e-7
    central = (event_time(rate + step) - event_time(rate - step)) / (2 * step)
    grad = jax.grad(event_time)(rate)
    # The central difference has truncation error ~ step^2 * t''' ~ 1e-14 * 6 t / r^3, far
    # below the 1e-6 relative tolerance; the solve error at rtol 1e-10 is smaller still.
    assert float(grad) == pytest.approx(float(central), rel=1e-6)
    assert float(grad) == pytest.approx(-np.log(SUN_LIMIT_W / 1.98e13) / rate**2, rel=1e-8)


@pytest.mark.slow
def test_logistic_event_gradients_match_finite_differences(x64):
    def event_time(params):
        rate, capacity = params
        return time_to_power(LogisticGrowth(rate, capacity, 2e13), 1e16, 1e4, **TIGHT)[0]

    params = jnp.array([0.02, 1.6e17])
    grad = jax.grad(event_time)(params)
    for i, step in enumerate([1e-7, 1e11]):
        shift = jnp.zeros(2).at[i].set(step)
        central = (event_time(params + shift) - event_time(params - shift)) / (2 * step)
        assert float(grad[i]) == pytest.approx(float(central), rel=1e-5)


def test_event_vmap_over_rates_flags_each_member():
    rates = jnp.array([0.01, 0.0168, -0.01])
    counter = TraceCounter(lambda rate: time_to_power(ExponentialGrowth(rate, 1.97e13), 1e20, 1e5))
    solve = jax.jit(jax.vmap(counter))
    times, reached = solve(rates)
    np.testing.assert_array_equal(reached, [True, True, False])
    expected = exponential_time_to_power(1e20, 1.97e13, rates[:2])
    np.testing.assert_allclose(times[:2], expected, rtol=2e-5)
    solve(rates * 1.1)
    assert counter.count == 1


@pytest.mark.parametrize(("target", "t_max", "match"), [(0.0, 1e3, "target"), (1e16, -1.0, "t_max"),
                                                          (float("nan"), 1e3, "target")])
def test_time_to_power_rejects_bad_input(target, t_max, match):
    with pytest.raises(ValueError, match=match):
        time_to_power(ExponentialGrowth(0.02, 1e13), target, t_max)
