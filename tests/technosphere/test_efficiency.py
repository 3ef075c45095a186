"""Carnot and Landsberg caps against hand-computed values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.technosphere import carnot_efficiency, harvested_power, landsberg_efficiency


def test_sunlight_at_300_kelvin():
    x = 300.0 / 5772.0
    assert float(carnot_efficiency(300.0, 5772.0)) == pytest.approx(1 - x, rel=1e-6)
    assert float(landsberg_efficiency(300.0, 5772.0)) == pytest.approx(1 - 4 * x / 3 + x**4 / 3, rel=1e-6)
    assert float(landsberg_efficiency()) == pytest.approx(0.93070, abs=1e-4)
    assert float(carnot_efficiency()) == pytest.approx(0.94802, abs=1e-4)


def test_landsberg_below_carnot():
    ratios = jnp.linspace(0.01, 0.99, 50)
    landsberg = landsberg_efficiency(ratios, 1.0)
    carnot = carnot_efficiency(ratios, 1.0)
    assert bool(jnp.all(landsberg < carnot))
    assert bool(jnp.all(landsberg > 0))


def test_landsberg_endpoints():
    # x = 1/2: 1 - 2/3 + 1/48 = 0.3541666...
    assert float(landsberg_efficiency(1.0, 2.0)) == pytest.approx(1 - 2 / 3 + 1 / 48, rel=1e-6)


def test_landsberg_gradient(x64):
    t, ts = 300.0, 5772.0
    grad = jax.grad(landsberg_efficiency)(t, ts)
    x = t / ts
    assert float(grad) == pytest.approx((-4 / 3 + 4 * x**3 / 3) / ts, rel=1e-10)


def test_harvested_power():
    assert float(harvested_power(1e17, 0.5)) == pytest.approx(5e16)
    out = jax.vmap(lambda eta: harvested_power(2.0, eta))(jnp.array([0.1, 0.2]))
    np.testing.assert_allclose(out, [0.2, 0.4], rtol=1e-6)


def test_harvested_power_rejects_above_landsberg():
    with pytest.raises(ValueError, match="Landsberg"):
        harvested_power(1e17, 0.94)


@pytest.mark.parametrize(("luminosity", "efficiency", "name"), [(0.0, 0.5, "luminosity"), (1.0, 0.0, "efficiency"),
                                                                 (1.0, float("nan"), "efficiency")])
def test_harvested_power_rejects_bad_input(luminosity, efficiency, name):
    with pytest.raises(ValueError, match=name):
        harvested_power(luminosity, efficiency)


@pytest.mark.parametrize("function", [carnot_efficiency, landsberg_efficiency])
def test_efficiency_rejects_bad_temperatures(function):
    with pytest.raises(ValueError, match="temperature"):
        function(-1.0, 5772.0)
    with pytest.raises(ValueError, match="below the source temperature"):
        function(6000.0, 5772.0)
