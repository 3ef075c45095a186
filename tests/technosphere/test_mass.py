"""Stellivore mass limit and the constants behind it."""

import math

import jax
import numpy as np
import pytest

from jaxsim.technosphere import constants as tc
from jaxsim.technosphere import crossover_mass_rate, harvest_time, mass_harvest_power


def test_fusion_efficiency_from_atomic_masses():
    # (4 * 1.00782503190 - 4.00260325413) / (4 * 1.00782503190) = 0.0071186.
    assert tc.ETA_HYDROGEN_FUSION.value == pytest.approx(0.0071186, abs=1e-7)


def test_accretion_efficiencies():
    assert tc.ETA_ACCRETION_SCHWARZSCHILD.value == pytest.approx(0.05719, abs=1e-5)
    assert tc.ETA_ACCRETION_KERR_MAX.value == pytest.approx(0.42265, abs=1e-5)


def test_every_constant_has_unit_and_source():
    for name, constant in tc.TECHNOSPHERE_CONSTANTS.items():
        assert constant.unit, name
        assert len(constant.source) > 10, name


def test_watts_per_twh_per_year():
    assert tc.WATTS_PER_TWH_PER_YEAR.value == pytest.approx(3.6e15 / 31_557_600.0)


def test_mass_power_hand_value():
    # 1 kg/s at eta = 1 is c^2 watts; the Sun's hydrogen burning rate ~6e11 kg/s at 0.007
    # gives about L_sun.
    assert float(mass_harvest_power(1.0, 1.0)) == pytest.approx(tc.C.value**2, rel=1e-6)
    assert float(mass_harvest_power(6e11, 0.0071186)) == pytest.approx(0.0071186 * 6e11 * tc.C.value**2, rel=1e-6)


def test_sun_lasts_mass_over_rate():
    years = float(harvest_time(1e12))
    assert years == pytest.approx(tc.M_SUN.value / 1e12 / tc.YEAR.value, rel=1e-6)


def test_crossover_rate_for_the_sun():
    rate = float(crossover_mass_rate(tc.L_SUN.value, 0.9307, tc.ETA_HYDROGEN_FUSION.value))
    expected = 0.9307 * 3.828e26 / (tc.ETA_HYDROGEN_FUSION.value * tc.C.value**2)
    assert rate == pytest.approx(expected, rel=1e-5)
    assert float(mass_harvest_power(rate)) == pytest.approx(0.9307 * 3.828e26, rel=1e-5)
    # At that rate the Sun lasts about 1e11 years.
    assert math.log10(float(harvest_time(rate))) == pytest.approx(11.0, abs=0.1)


def test_mass_power_grad_and_vmap():
    grad = jax.grad(lambda mdot: mass_harvest_power(mdot, 0.5))(2.0)
    assert float(grad) == pytest.approx(0.5 * tc.C.value**2, rel=1e-6)
    out = jax.vmap(mass_harvest_power)(np.array([1.0, 2.0]), np.array([0.1, 0.1]))
    np.testing.assert_allclose(out, [0.1 * tc.C.value**2, 0.2 * tc.C.value**2], rtol=1e-6)


@pytest.mark.parametrize(
    ("mass_rate", "efficiency", "match"),
    [(0.0, 0.1, "mass_rate"), (1.0, -0.1, "efficiency"), (1.0, 1.5, "rest-mass limit"), (float("nan"), 0.1, "mass_rate")],
)
def test_mass_power_rejects_bad_input(mass_rate, efficiency, match):
    with pytest.raises(ValueError, match=match):
        mass_harvest_power(mass_rate, efficiency)


def test_harvest_time_rejects_nonpositive_mass():
    with pytest.raises(ValueError, match="mass"):
        harvest_time(1.0, 0.0)
