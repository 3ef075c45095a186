"""Luminosity limits of a domain: the starlight a planet intercepts, a whole star, a galaxy.

A technosphere that lives on starlight can draw at most the luminosity that falls on its
domain. A planet of radius ``R`` at distance ``d`` from a star of luminosity ``L`` intercepts
the fraction ``pi R^2 / (4 pi d^2)`` of the star's output,

    P_planet = L R^2 / (4 d^2),

which is 1.74e17 W for the Earth and the Sun (IAU 2015 nominal values). A swarm of collectors
around the star can intercept all of ``L`` (a Dyson sphere), and a civilisation spread over a
galaxy all of the galaxy's luminosity (Kardashev 1964, types I to III). Only a fraction of the
intercepted power becomes work, at most the thermodynamic cap of
:mod:`~jaxsim.technosphere.efficiency`.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere import constants as tc
from jaxsim.technosphere._validation import check_positive

__all__ = [
    "planet_luminosity_limit",
    "star_luminosity_limit",
    "galaxy_luminosity_limit",
    "EARTH_LIMIT_W",
    "SUN_LIMIT_W",
    "GALAXY_LIMIT_W",
]


def planet_luminosity_limit(
    luminosity: Float[ArrayLike, "*batch"] = tc.L_SUN.value,
    radius: Float[ArrayLike, "*batch"] = tc.R_EARTH.value,
    distance: Float[ArrayLike, "*batch"] = tc.AU.value,
) -> Float[Array, "*batch"]:
    """Compute the starlight a planet intercepts, ``L R^2 / (4 d^2)``, in watts.

    Args:
        luminosity: the star's luminosity ``L`` in W (default: the Sun).
        radius: the planet's radius ``R`` in m (default: the Earth's equatorial radius).
        distance: the star-planet distance ``d`` in m (default: 1 au); must exceed ``radius``.

    Raises:
        ValueError: for a concrete non-positive or non-finite argument.
    """
    check_positive("luminosity", luminosity, "W")
    check_positive("radius", radius, "m")
    check_positive("distance", distance, "m")
    luminosity, radius, distance = jnp.asarray(luminosity), jnp.asarray(radius), jnp.asarray(distance)
    # (R / 2d)^2 first: L R^2 alone reaches 1e40 for the Sun and the Earth and overflows float32.
    return luminosity * (radius / (2.0 * distance)) ** 2


def star_luminosity_limit(luminosity: Float[ArrayLike, "*batch"] = tc.L_SUN.value) -> Float[Array, "*batch"]:
    """Return the luminosity limit of a whole star, its luminosity ``L`` in W (default: the Sun).

    Raises:
        ValueError: for a concrete non-positive or non-finite luminosity.
    """
    check_positive("luminosity", luminosity, "W")
    return jnp.asarray(luminosity)


def galaxy_luminosity_limit(
    luminosity: Float[ArrayLike, "*batch"] = tc.L_MILKY_WAY.value,
) -> Float[Array, "*batch"]:
    """Return the luminosity limit of a galaxy, its luminosity in W (default: the Milky Way, 4e37 W).

    Raises:
        ValueError: for a concrete non-positive or non-finite luminosity.
    """
    check_positive("luminosity", luminosity, "W")
    return jnp.asarray(luminosity)


EARTH_LIMIT_W: float = tc.L_SUN.value * tc.R_EARTH.value**2 / (4.0 * tc.AU.value**2)
"""Sunlight intercepted by the Earth, 1.74e17 W."""
SUN_LIMIT_W: float = tc.L_SUN.value
"""Luminosity of the Sun, 3.828e26 W."""
GALAXY_LIMIT_W: float = tc.L_MILKY_WAY.value
"""Luminosity of the Milky Way, 4e37 W."""
