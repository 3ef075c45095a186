"""Physical constants, each with its unit and source.

SI values. The defining constants of the SI (``C``, ``H``, ``K_B``, ``E_CHARGE``) are exact
since the 2019 redefinition; the others carry the recommended value of the source named.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Constant",
    "C",
    "H",
    "HBAR",
    "K_B",
    "E_CHARGE",
    "G",
    "SIGMA_SB",
    "L_SUN",
    "R_SUN",
    "M_SUN",
    "T_SUN",
    "AU",
    "R_EARTH",
    "YEAR",
    "LN2",
    "ALL_CONSTANTS",
]

_CODATA = "CODATA 2018 recommended values (Tiesinga et al., Rev. Mod. Phys. 93, 025010, 2021)"
_SI_EXACT = "exact by definition of the SI (BIPM, SI Brochure, 9th edition, 2019)"
_IAU_2015 = "IAU 2015 Resolution B3 nominal solar and planetary values (Prsa et al., AJ 152, 41, 2016)"


@dataclass(frozen=True)
class Constant:
    """A physical constant.

    Attributes:
        value: the value in SI units.
        unit: the unit of ``value``.
        source: where the value comes from.
        name: a short description.
    """

    value: float
    unit: str
    source: str
    name: str

    def __float__(self) -> float:
        return self.value


C = Constant(299_792_458.0, "m s^-1", _SI_EXACT, "speed of light in vacuum")
H = Constant(6.626_070_15e-34, "J s", _SI_EXACT, "Planck constant")
HBAR = Constant(H.value / (2 * math.pi), "J s", _SI_EXACT + "; h / (2 pi)", "reduced Planck constant")
K_B = Constant(1.380_649e-23, "J K^-1", _SI_EXACT, "Boltzmann constant")
E_CHARGE = Constant(1.602_176_634e-19, "C", _SI_EXACT, "elementary charge")
G = Constant(6.674_30e-11, "m^3 kg^-1 s^-2", _CODATA, "Newtonian constant of gravitation")
SIGMA_SB = Constant(
    5.670_374_419e-8, "W m^-2 K^-4", _CODATA + "; exact given h, c and k_B", "Stefan-Boltzmann constant"
)
L_SUN = Constant(3.828e26, "W", _IAU_2015, "nominal solar luminosity")
R_SUN = Constant(6.957e8, "m", _IAU_2015, "nominal solar radius")
M_SUN = Constant(
    1.327_124_4e20 / 6.674_30e-11,
    "kg",
    _IAU_2015 + " nominal GM_sun = 1.3271244e20 m^3 s^-2 divided by G from " + _CODATA,
    "solar mass",
)
T_SUN = Constant(5772.0, "K", _IAU_2015, "nominal solar effective temperature")
AU = Constant(1.495_978_707e11, "m", "exact by IAU 2012 Resolution B2", "astronomical unit")
R_EARTH = Constant(6.378_1e6, "m", _IAU_2015 + " (equatorial)", "nominal Earth radius")
YEAR = Constant(31_557_600.0, "s", "Julian year of 365.25 days of 86400 s (IAU)", "year")
LN2 = Constant(math.log(2.0), "1", "mathematical constant", "natural logarithm of 2")

ALL_CONSTANTS: dict[str, Constant] = {
    name: value for name, value in globals().items() if isinstance(value, Constant)
}
