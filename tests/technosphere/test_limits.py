"""Luminosity limits against hand-computed values."""

import jax
import numpy as np
import pytest

from jaxsim.technosphere import (
    EARTH_LIMIT_W,
    GALAXY_LIMIT_W,
    SUN_LIMIT_W,
    galaxy_luminosity_limit,
    planet_luminosity_limit,
    star_luminosity_limit,
)


def test_earth_intercepts_1_74e17_watts():
    # 3.828e26 W * (6.3781e6 m)^2 / (4 * (1.495978707e11 m)^2) = 1.7396e17 W by hand.
    assert float(planet_luminosity_limit()) == pytest.approx(1.7396e17, rel=1e-4)
    assert EARTH_LIMIT_W == pytest.approx(1.7396e17, rel=1e-4)


def test_planet_limit_scaling():
    base = float(planet_luminosity_limit(1.0, 1.0, 10.0))
    assert base == pytest.approx(1.0 / 400.0)
    assert float(planet_luminosity_limit(1.0, 2.0, 10.0)) == pytest.approx(4 * base)
    assert float(planet_luminosity_limit(1.0, 1.0, 20.0)) == pytest.approx(base / 4)


def test_star_and_galaxy_defaults():
    assert float(star_luminosity_limit()) == pytest.approx(3.828e26)
    assert SUN_LIMIT_W == 3.828e26
    assert float(galaxy_luminosity_limit()) == pytest.approx(4e37)
    assert GALAXY_LIMIT_W == 4e37


def test_planet_limit_gradient_in_distance():
    grad = jax.grad(lambda d: planet_luminosity_limit(1.0, 1.0, d))(10.0)
    # d/dd [R^2 / (4 d^2)] = -R^2 / (2 d^3) = -1 / 2000.
    assert float(grad) == pytest.approx(-1.0 / 2000.0, rel=1e-5)


def test_planet_limit_vmaps_over_planets():
    radii = np.array([1.0, 2.0, 3.0])
    out = jax.vmap(lambda r: planet_luminosity_limit(4.0, r, 1.0))(radii)
    np.testing.assert_allclose(out, radii**2, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"luminosity": 0.0}, "luminosity"),
        ({"radius": -1.0}, "radius"),
        ({"distance": float("nan")}, "distance"),
    ],
)
def test_planet_limit_rejects_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        planet_luminosity_limit(**kwargs)


@pytest.mark.parametrize("function", [star_luminosity_limit, galaxy_luminosity_limit])
def test_star_galaxy_reject_nonpositive(function):
    with pytest.raises(ValueError, match="luminosity"):
        function(-3.0)
