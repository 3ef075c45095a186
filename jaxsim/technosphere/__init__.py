"""Growth of a technosphere: the Kardashev scale as a luminosity limit, the stellivore mass
limit, growth trajectories as diffrax ODEs, and growth fitted to world energy use.

- :mod:`~jaxsim.technosphere.constants`: galaxy, neighbourhood, fusion and accretion constants.
- :mod:`~jaxsim.technosphere.scales`: Sagan's Kardashev index and its inverse.
- :mod:`~jaxsim.technosphere.limits`: luminosity limits of a planet, a star and a galaxy.
- :mod:`~jaxsim.technosphere.efficiency`: Carnot and Landsberg caps on converting starlight.
- :mod:`~jaxsim.technosphere.mass`: power from harvesting mass, ``eta mdot c^2``.
- :mod:`~jaxsim.technosphere.growth`: exponential and logistic growth, closed forms and ODEs.
- :mod:`~jaxsim.technosphere.events`: event-detected times to reach a power.
- :mod:`~jaxsim.technosphere.exploration`: exploration against exploitation, optimised schedules.
- :mod:`~jaxsim.technosphere.data`: the shipped world primary energy series.
- :mod:`~jaxsim.technosphere.history`: growth fits to that series and projected years to limits.
"""

from jaxsim.technosphere import constants
from jaxsim.technosphere.data import EnergySeries, load_world_primary_energy, parse_energy_csv
from jaxsim.technosphere.efficiency import carnot_efficiency, harvested_power, landsberg_efficiency
from jaxsim.technosphere.events import time_to_power
from jaxsim.technosphere.exploration import (
    ControlSchedule,
    ExplorationModel,
    ScheduleResult,
    best_fixed_split,
    log_energy_gathered,
    optimise_schedule,
    solve_exploration,
)
from jaxsim.technosphere.growth import (
    ExponentialGrowth,
    GrowthModel,
    LogisticGrowth,
    exponential_power,
    exponential_time_to_power,
    logistic_capacity,
    logistic_power,
    logistic_time_to_power,
    solve_growth,
)
from jaxsim.technosphere.history import (
    band,
    draw_rates,
    event_times_to_targets,
    exponential_curve,
    fit_exponential,
    fit_logistic,
    logistic_curve,
)
from jaxsim.technosphere.limits import (
    EARTH_LIMIT_W,
    GALAXY_LIMIT_W,
    SUN_LIMIT_W,
    galaxy_luminosity_limit,
    planet_luminosity_limit,
    star_luminosity_limit,
)
from jaxsim.technosphere.mass import crossover_mass_rate, harvest_time, mass_harvest_power
from jaxsim.technosphere.scales import kardashev_index, power_from_kardashev

__all__ = [
    "ControlSchedule",
    "EARTH_LIMIT_W",
    "EnergySeries",
    "ExplorationModel",
    "ExponentialGrowth",
    "GALAXY_LIMIT_W",
    "GrowthModel",
    "LogisticGrowth",
    "SUN_LIMIT_W",
    "ScheduleResult",
    "band",
    "best_fixed_split",
    "carnot_efficiency",
    "constants",
    "crossover_mass_rate",
    "draw_rates",
    "event_times_to_targets",
    "exponential_curve",
    "exponential_power",
    "exponential_time_to_power",
    "fit_exponential",
    "fit_logistic",
    "galaxy_luminosity_limit",
    "harvest_time",
    "harvested_power",
    "kardashev_index",
    "landsberg_efficiency",
    "load_world_primary_energy",
    "log_energy_gathered",
    "logistic_capacity",
    "logistic_curve",
    "logistic_power",
    "logistic_time_to_power",
    "mass_harvest_power",
    "optimise_schedule",
    "parse_energy_csv",
    "planet_luminosity_limit",
    "power_from_kardashev",
    "solve_exploration",
    "solve_growth",
    "star_luminosity_limit",
]
