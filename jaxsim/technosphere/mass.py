"""The stellivore mass limit: power from harvesting stellar mass directly.

Harvesting rest mass at a rate ``mdot`` and converting the fraction ``eta`` of it to energy
gives the power

    P = eta * mdot * c^2.

``eta`` is about 0.0071 for burning hydrogen to helium (mass defect of 4 H-1 -> He-4), 0.057
for thin-disc accretion onto a non-rotating black hole and 0.42 for a maximally rotating one
(see :mod:`~jaxsim.technosphere.constants`). A star of mass ``M`` lasts ``M / mdot`` at that rate.
The mass limit overtakes the luminosity limit ``eta_cap * L`` of the same star once

    mdot > eta_cap * L / (eta * c^2),

which for the Sun and hydrogen fusion is about 5.6e11 kg/s, a harvest time of about 1e11 years.
The idea of a civilisation that feeds on stellar mass follows Vidal (2016), Stellivore
extraterrestrials? Binary stars as living systems, Acta Astronautica 128, 251.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere import constants as tc
from jaxsim.technosphere._validation import check_at_most, check_positive

__all__ = ["mass_harvest_power", "harvest_time", "crossover_mass_rate"]


def mass_harvest_power(
    mass_rate: Float[ArrayLike, "*batch"],
    efficiency: Float[ArrayLike, "*batch"] = tc.ETA_HYDROGEN_FUSION.value,
) -> Float[Array, "*batch"]:
    """Compute ``P = eta * mdot * c^2`` in W for a harvest rate ``mdot`` in kg/s.

    Args:
        mass_rate: harvested rest mass per second ``mdot`` in kg/s.
        efficiency: fraction ``eta`` of rest mass turned into energy, ``0 < eta <= 1``;
            default hydrogen fusion (0.0071).

    Raises:
        ValueError: for a concrete non-positive rate or efficiency, or ``eta > 1``.
    """
    check_positive("mass_rate", mass_rate, "kg/s")
    check_positive("efficiency", efficiency)
    check_at_most("efficiency", efficiency, 1.0, "the rest-mass limit 1")
    return jnp.asarray(efficiency) * jnp.asarray(mass_rate) * tc.C.value**2


def harvest_time(
    mass_rate: Float[ArrayLike, "*batch"],
    mass: Float[ArrayLike, "*batch"] = tc.M_SUN.value,
) -> Float[Array, "*batch"]:
    """Compute how long a star of ``mass`` kg lasts at a harvest rate ``mdot`` in kg/s, in years.

    ``t = M / mdot`` divided by the Julian year.

    Raises:
        ValueError: for a concrete non-positive mass or rate.
    """
    check_positive("mass_rate", mass_rate, "kg/s")
    check_positive("mass", mass, "kg")
    return jnp.asarray(mass) / jnp.asarray(mass_rate) / tc.YEAR.value


def crossover_mass_rate(
    luminosity: Float[ArrayLike, "*batch"] = tc.L_SUN.value,
    efficiency_cap: Float[ArrayLike, "*batch"] = 1.0,
    mass_efficiency: Float[ArrayLike, "*batch"] = tc.ETA_HYDROGEN_FUSION.value,
) -> Float[Array, "*batch"]:
    """Compute the harvest rate in kg/s at which mass power equals the luminosity limit.

    ``mdot* = eta_cap * L / (eta * c^2)``: above it, harvesting mass at efficiency ``eta``
    yields more power than converting the luminosity ``L`` at the cap ``eta_cap``.

    Raises:
        ValueError: for a concrete non-positive argument or an efficiency above 1.
    """
    check_positive("luminosity", luminosity, "W")
    check_positive("efficiency_cap", efficiency_cap)
    check_at_most("efficiency_cap", efficiency_cap, 1.0, "the energy-conservation limit 1")
    check_positive("mass_efficiency", mass_efficiency)
    check_at_most("mass_efficiency", mass_efficiency, 1.0, "the rest-mass limit 1")
    luminosity, efficiency_cap = jnp.asarray(luminosity), jnp.asarray(efficiency_cap)
    return efficiency_cap * luminosity / (jnp.asarray(mass_efficiency) * tc.C.value**2)
