"""Fit world energy growth, project it to the luminosity limits and check one time by events.

Run: PYTHONPATH=. python examples/technosphere_growth.py   (about 20 s on a laptop CPU)
"""

import jax
import jax.numpy as jnp

from jaxsim.technosphere import (
    EARTH_LIMIT_W,
    GALAXY_LIMIT_W,
    SUN_LIMIT_W,
    ExponentialGrowth,
    crossover_mass_rate,
    exponential_time_to_power,
    fit_exponential,
    harvest_time,
    kardashev_index,
    landsberg_efficiency,
    load_world_primary_energy,
    time_to_power,
)

# 1. The shipped series (TWh/yr, converted to W) and an exponential fit in log space.
series = load_world_primary_energy()
fit = fit_exponential(series.years, series.watts, reference_year=float(series.years[-1]))
rate, rate_std = float(fit.params["rate"]), float(fit.std["rate"])
power_now = float(series.watts[-1])
print(f"{series.years[-1]}: {power_now:.3e} W, K = {float(kardashev_index(power_now)):.3f}")
print(f"fitted growth rate {rate:.4f} +/- {rate_std:.4f} per year")

# 2. Years to each limit: closed form, and diffrax event detection with its gradient.
model = ExponentialGrowth(rate, power_now)
for name, limit in [("K = 1", 1e16), ("Earth", EARTH_LIMIT_W), ("Sun", SUN_LIMIT_W), ("Milky Way", GALAXY_LIMIT_W)]:
    closed = float(exponential_time_to_power(limit, power_now, rate))
    event, reached = time_to_power(model, limit, 1e5)
    print(f"{name:>9}: {closed:7.1f} yr (closed form), {float(event):7.1f} yr (event), reached={bool(reached)}")


def years_to_sun(r):
    return time_to_power(ExponentialGrowth(r, power_now), SUN_LIMIT_W, 1e5)[0]


print(f"d(years to the Sun)/d(rate) = {float(jax.grad(years_to_sun)(jnp.asarray(rate))):.3e} yr^2")

# 3. The thermodynamic cap and where harvesting the Sun's mass beats its light.
cap = float(landsberg_efficiency(300.0))
mdot = float(crossover_mass_rate(SUN_LIMIT_W, cap))
print(f"Landsberg cap at 300 K: {cap:.4f}; fusion of {mdot:.2e} kg/s beats the Sun's light,")
print(f"a rate at which the Sun would last {float(harvest_time(mdot)):.2e} years")
