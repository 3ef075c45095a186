"""Astrophysical and nuclear constants of the technosphere models, each with its unit and source.

The SI and solar constants (``C``, ``L_SUN``, ``M_SUN``, ``T_SUN``, ``AU``, ``R_EARTH``, ``YEAR``)
come from :mod:`jaxsim.core.constants`; this module adds the galaxy, the stellar neighbourhood,
atomic masses for the fusion efficiency and the conversion of TWh per year to watts.
"""

from __future__ import annotations

import math

from jaxsim.core.constants import AU, C, L_SUN, M_SUN, R_EARTH, T_SUN, YEAR, Constant

__all__ = [
    "AU",
    "C",
    "L_SUN",
    "M_SUN",
    "R_EARTH",
    "T_SUN",
    "YEAR",
    "L_MILKY_WAY",
    "N_MILKY_WAY_SUNS",
    "STAR_DENSITY",
    "LIGHT_YEAR",
    "ATOMIC_MASS_H1",
    "ATOMIC_MASS_HE4",
    "ETA_HYDROGEN_FUSION",
    "ETA_ACCRETION_SCHWARZSCHILD",
    "ETA_ACCRETION_KERR_MAX",
    "T_WORKING",
    "WATTS_PER_TWH_PER_YEAR",
    "TECHNOSPHERE_CONSTANTS",
]

_KARDASHEV_1964 = (
    "Kardashev, N. S. (1964), Transmission of information by extraterrestrial civilizations, "
    "Soviet Astronomy 8, 217: type III energy use of about 4e44 erg/s, the luminosity of the Galaxy"
)
_AME_2020 = (
    "AME2020 atomic mass evaluation (Wang, Huang, Kondev, Audi, Naimi 2021, Chinese Physics C 45, 030003)"
)

L_MILKY_WAY = Constant(4e37, "W", _KARDASHEV_1964, "luminosity of the Milky Way (order of magnitude)")
N_MILKY_WAY_SUNS = Constant(
    L_MILKY_WAY.value / L_SUN.value,
    "1",
    "L_MILKY_WAY / L_SUN, the number of Sun-like stars that would emit the Galaxy's luminosity",
    "Milky Way luminosity in units of the solar luminosity",
)
LIGHT_YEAR = Constant(C.value * YEAR.value, "m", "IAU: distance light travels in one Julian year", "light year")
STAR_DENSITY = Constant(
    0.004,
    "ly^-3",
    "Gliese's estimate of the stellar number density near the Sun, corrected for incompleteness, "
    "as quoted by Encyclopaedia Britannica, article 'Milky Way Galaxy', section 'The stellar density near the Sun'",
    "number density of stars near the Sun",
)
ATOMIC_MASS_H1 = Constant(1.007_825_031_90, "u", _AME_2020, "atomic mass of hydrogen-1")
ATOMIC_MASS_HE4 = Constant(4.002_603_254_13, "u", _AME_2020, "atomic mass of helium-4")
ETA_HYDROGEN_FUSION = Constant(
    1.0 - ATOMIC_MASS_HE4.value / (4.0 * ATOMIC_MASS_H1.value),
    "1",
    "mass defect of 4 H-1 -> He-4 from " + _AME_2020 + "; includes the energy carried off by neutrinos",
    "fraction of rest mass released by burning hydrogen to helium",
)
ETA_ACCRETION_SCHWARZSCHILD = Constant(
    1.0 - math.sqrt(8.0 / 9.0),
    "1",
    "binding energy at the innermost stable circular orbit r = 6 GM/c^2 of a non-rotating black hole, "
    "1 - sqrt(8/9) (Novikov and Thorne 1973, Astrophysics of black holes, in Black Holes, Les Houches)",
    "radiative efficiency of thin-disc accretion onto a non-rotating black hole",
)
ETA_ACCRETION_KERR_MAX = Constant(
    1.0 - 1.0 / math.sqrt(3.0),
    "1",
    "binding energy at the prograde innermost stable orbit of an extremal Kerr black hole, 1 - 1/sqrt(3) "
    "(Bardeen, Press and Teukolsky 1972, Rotating black holes, ApJ 178, 347)",
    "radiative efficiency of thin-disc accretion onto a maximally rotating black hole",
)
T_WORKING = Constant(
    300.0,
    "K",
    "a modelling choice: a round ambient temperature near Earth's mean surface temperature of about 288 K",
    "working (heat-sink) temperature of a technosphere's energy converters",
)
WATTS_PER_TWH_PER_YEAR = Constant(
    1e12 * 3600.0 / YEAR.value,
    "W per (TWh/yr)",
    "1 TWh/yr = 1e12 Wh per Julian year = 3.6e15 J / 31557600 s",
    "mean power of an energy use of one terawatt-hour per year",
)

TECHNOSPHERE_CONSTANTS: dict[str, Constant] = {
    name: value for name, value in globals().items() if isinstance(value, Constant)
}
