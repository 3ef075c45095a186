"""Growth fits: recovery of known parameters, and the ensemble of event times."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import run_on_host_devices

from jaxsim.technosphere import (
    band,
    draw_rates,
    event_times_to_targets,
    exponential_curve,
    exponential_time_to_power,
    fit_exponential,
    fit_logistic,
    load_world_primary_energy,
    logistic_curve,
)

YEARS = np.arange(1800.0, 2021.0, 10.0)


def test_exponential_fit_recovers_rate():
    rng = np.random.default_rng(0)
    truth = {"log_power": jnp.asarray(np.log(2e13)), "rate": jnp.asarray(0.017)}
    noise = 0.05 * rng.standard_normal(YEARS.size)
    power = np.asarray(exponential_curve(truth, YEARS - 2020.0)) * np.exp(noise)
    fit = fit_exponential(YEARS, power, 2020.0)
    # With 5% noise on 23 points over 220 years, the rate's standard error is about
    # 0.05 / sqrt(sum (t - mean t)^2) = 1.5e-4; allow four of them.
    assert float(fit.std["rate"]) == pytest.approx(1.5e-4, rel=0.3)
    assert float(fit.params["rate"]) == pytest.approx(0.017, abs=4 * float(fit.std["rate"]))
    assert bool(fit.converged)


@pytest.mark.slow
def test_logistic_fit_recovers_capacity():
    rng = np.random.default_rng(1)
    truth = {"log_power": jnp.asarray(np.log(1e12)), "rate": jnp.asarray(0.04), "log_headroom": jnp.asarray(4.0)}
    years = np.arange(1900.0, 2101.0, 5.0)
    power = np.asarray(logistic_curve(truth, years - 2000.0)) * np.exp(0.02 * rng.standard_normal(years.size))
    fit = fit_logistic(years, power, 2000.0, log_headroom0=2.0)
    capacity = np.exp(float(fit.params["log_power"])) * (1 + np.exp(float(fit.params["log_headroom"])))
    assert capacity == pytest.approx(1e12 * (1 + np.exp(4.0)), rel=0.05)
    assert float(fit.params["rate"]) == pytest.approx(0.04, rel=0.05)


@pytest.mark.slow
def test_logistic_fit_with_fixed_capacity():
    truth = {"log_power": jnp.asarray(np.log(2e13)), "rate": jnp.asarray(0.017)}
    power = np.asarray(exponential_curve(truth, YEARS - 2020.0))
    capacity = 1.6e17
    fit = fit_logistic(YEARS, power, 2020.0, capacity=capacity)
    # Far below a capacity of 8000 times the data, the logistic is the exponential.
    assert float(fit.params["rate"]) == pytest.approx(0.017, rel=2e-3)


def test_logistic_rejects_capacity_below_data():
    power = np.full(YEARS.size, 2e13)
    with pytest.raises(ValueError, match="capacity"):
        fit_logistic(YEARS, power, 2020.0, capacity=1e13)
    with pytest.raises(ValueError, match="capacity"):
        fit_logistic(YEARS, power, 2020.0, capacity=-1.0)


@pytest.fixture(scope="module")
def shipped_fit():
    series = load_world_primary_energy()
    return fit_exponential(series.years, series.watts, 2019.0)


def test_fit_on_shipped_data(shipped_fit):
    fit = shipped_fit
    # ln(173340 / 5653) / 219 = 0.0156 is the two-point rate; the fit lies near it.
    assert 0.012 < float(fit.params["rate"]) < 0.022
    assert float(fit.std["rate"]) > 0


def test_fit_rejects_bad_series():
    with pytest.raises(ValueError, match="power"):
        fit_exponential(YEARS, np.full(YEARS.size, -1.0), 2020.0)
    with pytest.raises(ValueError, match="equal length"):
        fit_exponential(YEARS, np.ones(3), 2020.0)


def test_event_times_band_matches_closed_form():
    rates = jnp.array([0.01, 0.015, 0.02, -0.01])
    targets = jnp.array([1e16, 1e26])
    times, reached = event_times_to_targets(rates, 2e13, targets, 1e5)
    assert times.shape == (4, 2)
    np.testing.assert_array_equal(reached[:, 0], [True, True, True, False])
    expected = exponential_time_to_power(targets[None, :], 2e13, rates[:3, None])
    np.testing.assert_allclose(times[:3], expected, rtol=2e-5)
    quantiles = band(times, reached, (0.0, 0.5, 1.0))
    assert quantiles[0, 0] == pytest.approx(float(expected[2, 0]), rel=2e-5)
    assert quantiles[2, 0] == np.inf


def test_draw_rates_statistics(shipped_fit):
    fit = shipped_fit
    rates = draw_rates(fit, jax.random.key(0), 4000)
    # The sample mean of 4000 draws is within 4 standard errors (std / sqrt(4000)).
    assert float(rates.mean()) == pytest.approx(float(fit.params["rate"]), abs=4 * float(fit.std["rate"]) / 63)
    assert float(rates.std()) == pytest.approx(float(fit.std["rate"]), rel=0.05)


def test_event_times_independent_of_device_count():
    code = """
        import json
        import jax, jax.numpy as jnp
        from jaxsim.technosphere import event_times_to_targets
        rates = 0.017 + 0.002 * jax.random.normal(jax.random.key(3), (10,))
        times, reached = event_times_to_targets(rates, 2e13, jnp.array([1e16, 3.8e26]), 1e5)
        print(json.dumps({"times": times.tolist(), "reached": reached.tolist(), "devices": jax.device_count()}))
    """
    one = run_on_host_devices(code, 1)
    four = run_on_host_devices(code, 4)
    assert one["devices"] == 1
    assert four["devices"] == 4
    assert one["reached"] == four["reached"]
    np.testing.assert_array_equal(one["times"], four["times"])
