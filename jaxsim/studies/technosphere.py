"""The technosphere study: world energy use fitted and projected to the luminosity limits.

Steps: fit exponential and logistic growth to the shipped world primary energy series; take
the years from the latest data year to K = 1 and to the luminosity limits of the Earth, the
Sun and the Milky Way at the fitted rate (closed form, checked against event detection);
propagate the rate's uncertainty through the ODE into bands on those years; tabulate the years
for several rates; optimise an exploration-exploitation schedule against the best fixed split;
and find where the stellivore mass limit overtakes the luminosity limit.
"""

from __future__ import annotations

import contextlib
import time

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jaxsim.studies import register  # noqa: E402
from jaxsim.technosphere import (  # noqa: E402
    EARTH_LIMIT_W,
    GALAXY_LIMIT_W,
    SUN_LIMIT_W,
    ControlSchedule,
    ExplorationModel,
    band,
    best_fixed_split,
    crossover_mass_rate,
    event_times_to_targets,
    exponential_curve,
    exponential_time_to_power,
    fit_exponential,
    fit_logistic,
    harvest_time,
    kardashev_index,
    landsberg_efficiency,
    load_world_primary_energy,
    logistic_curve,
    mass_harvest_power,
    optimise_schedule,
    power_from_kardashev,
    solve_exploration,
    time_to_power,
)
from jaxsim.technosphere import constants as tc  # noqa: E402

LIMITS = {
    "kardashev_1": float(power_from_kardashev(1.0)),
    "planet_limit": EARTH_LIMIT_W,
    "star_limit": SUN_LIMIT_W,
    "galaxy_limit": GALAXY_LIMIT_W,
}
TABLE_RATES = (0.005, 0.01, 0.02, 0.03)


@register("technosphere", "World energy use fitted and projected to the Kardashev and luminosity limits")
def run(report) -> None:
    quick = report.quick
    key = jax.random.key(report.seed)
    series = load_world_primary_energy()
    latest_year = int(series.years[-1])
    latest_power = float(series.watts[-1])
    report.add_settings(
        data_source=series.metadata["source"],
        data_method=series.metadata["method"],
        data_units=series.metadata["units"],
        latest_year=latest_year,
        watts_per_twh_per_year=tc.WATTS_PER_TWH_PER_YEAR.value,
    )

    seconds: dict[str, float] = {}
    with _timed(seconds, "fit"):
        rate, rate_std = _fit_history(report, series, latest_year, quick)
    report.add_metric("kardashev_latest", kardashev_index(latest_power))
    report.add_metric("power_latest_w", latest_power)

    with _timed(seconds, "years_to_limits"):
        closed = _years_to_limits(report, latest_power, rate)
    with _timed(seconds, "bands"):
        _bands(report, key, series, latest_year, latest_power, rate, rate_std, closed, n_draws=200 if quick else 4000)
    _rate_table(report, latest_year, latest_power, rate)
    with _timed(seconds, "exploration"):
        _exploration(report, latest_power, rate, quick)
    _mass_limit(report)
    report.add_settings(phase_seconds=seconds)
    report.add_note(
        "The exponential projections ignore the light-travel time across a galaxy (about 1e5 years for the "
        "Milky Way); the exploration model bounds the expansion speed instead."
    )


@contextlib.contextmanager
def _timed(seconds: dict[str, float], name: str):
    start = time.perf_counter()
    yield
    seconds[name] = round(time.perf_counter() - start, 2)


def _fit_history(report, series, latest_year: int, quick: bool) -> tuple[float, float]:
    efficiency_cap = float(landsberg_efficiency())
    exponential = fit_exponential(series.years, series.watts, float(latest_year))
    earth_capacity = efficiency_cap * EARTH_LIMIT_W
    logistic = fit_logistic(series.years, series.watts, float(latest_year), capacity=earth_capacity)
    # The free-capacity logistic costs one more L-BFGS compilation, so quick mode skips it.
    free = None if quick else fit_logistic(series.years, series.watts, float(latest_year))
    rate, rate_std = float(exponential.params["rate"]), float(exponential.std["rate"])
    report.add_metrics(
        {
            "growth_rate_per_year": rate,
            "growth_rate_std": rate_std,
            "doubling_time_years": np.log(2.0) / rate,
            "fit_rms_log_residual": float(np.sqrt(np.mean(np.asarray(exponential.residuals) ** 2))),
            "logistic_earth_rate_per_year": float(logistic.params["rate"]),
            "logistic_earth_rate_std": float(logistic.std["rate"]),
        }
    )
    if free is not None:
        report.add_metric("logistic_free_loss_over_exponential_loss", float(free.loss) / float(exponential.loss))
    report.add_settings(logistic_earth_capacity_w=earth_capacity, landsberg_cap=efficiency_cap)
    report.add_note(
        "A logistic with a free capacity fits the series no better than the exponential (see "
        "logistic_free_loss_over_exponential_loss): two centuries of data do not constrain a capacity."
    )
    report.add_note(
        "The rate's standard error is the Laplace (white-noise) estimate; the residuals are correlated in "
        "time, so the real uncertainty is larger."
    )

    t = np.linspace(series.years[0], latest_year + 50, 300) - latest_year
    figure, axis = plt.subplots(figsize=(7, 4.5))
    axis.semilogy(series.years, series.watts, "ko", label="world primary energy (Smil; EI Statistical Review)")
    axis.semilogy(t + latest_year, exponential_curve(exponential.params, t), label=f"exponential, r = {rate:.4f}/yr")
    if free is not None:
        axis.semilogy(t + latest_year, logistic_curve(free.params, t), "--", label="logistic, free capacity")
    axis.set_xlabel("year")
    axis.set_ylabel("power (W)")
    axis.legend()
    axis.set_title("Fitted history of world energy use")
    report.add_figure("history_fit", figure)
    return rate, rate_std


def _years_to_limits(report, latest_power: float, rate: float) -> dict[str, float]:
    closed = {name: float(exponential_time_to_power(target, latest_power, rate)) for name, target in LIMITS.items()}
    for name, years in closed.items():
        report.add_metric(f"years_to_{name}", years)
    return closed


def _bands(report, key, series, latest_year, latest_power, rate, rate_std, closed, n_draws: int) -> None:
    # Member 0 is the fitted rate itself: its event times check the closed forms.
    draws = rate + rate_std * jax.random.normal(key, (n_draws,))
    rates = jnp.concatenate([jnp.array([rate]), draws])
    targets = jnp.array(list(LIMITS.values()))
    t_max = 20.0 * max(closed.values())
    times, reached = event_times_to_targets(rates, latest_power, targets, t_max)
    if not bool(jnp.all(reached[0])):
        raise RuntimeError("event detection missed a limit at the fitted rate; raise t_max or max_steps")
    closed_times = np.array(list(closed.values()))
    report.add_metric("event_vs_closed_form_max_rel_diff", float(np.max(np.abs(times[0] - closed_times) / closed_times)))
    times, reached, rates = times[1:], reached[1:], rates[1:]
    quantiles = band(times, reached, (0.05, 0.5, 0.95))
    rows = []
    for j, name in enumerate(LIMITS):
        low, mid, high = (float(q) for q in quantiles[:, j])
        report.add_metric(f"years_to_{name}_p05", low)
        report.add_metric(f"years_to_{name}_p95", high)
        rows.append([name, LIMITS[name], closed[name], low, mid, high, latest_year + mid])
    report.add_metric("band_fraction_reached", float(np.mean(np.asarray(reached))))
    report.add_table(
        "years_to_limits_band",
        ["limit", "power_w", "years_fitted_rate", "years_p05", "years_p50", "years_p95", "calendar_year_p50"],
        rows,
    )
    report.add_settings(band_draws=n_draws, band_t_max_years=t_max)

    # Projection figure: the quantiles of P(t) over the drawn rates, and K(t) below it.
    years_ahead = np.linspace(0.0, 1.2 * closed["galaxy_limit"], 400)
    log_power = np.log(latest_power) + np.outer(np.asarray(rates), years_ahead)
    low, mid, high = np.quantile(log_power, [0.05, 0.5, 0.95], axis=0)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    calendar = latest_year + years_ahead
    top.fill_between(calendar, np.exp(low), np.exp(high), alpha=0.3, label="90% band of the fitted rate")
    top.semilogy(calendar, np.exp(mid), label="median projection")
    top.semilogy(series.years, series.watts, "ko", label="data")
    for name, target in LIMITS.items():
        top.axhline(target, ls=":", color="grey")
        top.text(calendar[0], target * 1.5, name.replace("_", " "), fontsize=8)
    top.set_ylabel("power (W)")
    top.legend(loc="lower right")
    top.set_title("Projected power at the fitted exponential rate")
    history_k = np.asarray(kardashev_index(series.watts))
    bottom.plot(series.years, history_k, "ko")
    bottom.fill_between(calendar, (low / np.log(10) - 6) / 10, (high / np.log(10) - 6) / 10, alpha=0.3)
    bottom.plot(calendar, (mid / np.log(10) - 6) / 10)
    bottom.set_xlabel("year")
    bottom.set_ylabel("Kardashev index K (Sagan 1973)")
    report.add_figure("projections", figure)


def _rate_table(report, latest_year: int, latest_power: float, rate: float) -> None:
    rows = []
    for r in sorted(set(TABLE_RATES) | {round(rate, 5)}):
        years = [float(exponential_time_to_power(target, latest_power, r)) for target in LIMITS.values()]
        rows.append([r, *years])
    report.add_table("years_to_limits_by_rate", ["rate_per_year", *[f"years_to_{n}" for n in LIMITS]], rows)
    report.add_settings(table_start_year=latest_year)


def _exploration(report, latest_power: float, rate: float, quick: bool) -> None:
    horizon = 4000.0 if quick else 10_000.0
    n_knots = 4 if quick else 8
    steps = 8 if quick else 150
    shares = np.linspace(0.05, 0.95, 7 if quick else 37)
    model = ExplorationModel(ControlSchedule.constant(0.5, horizon, n_knots), growth_rate=rate, power0=latest_power)
    best_share, fixed_objective, objectives = best_fixed_split(model, horizon, shares)
    best_share = float(best_share)
    fixed_model = ExplorationModel(
        ControlSchedule.constant(best_share, horizon, n_knots), growth_rate=rate, power0=latest_power
    )
    result = optimise_schedule(fixed_model, horizon, steps=steps, learning_rate=0.1)
    report.add_settings(
        exploration_horizon_years=horizon,
        exploration_knots=n_knots,
        exploration_steps=steps,
        exploration_expansion_speed_c=float(model.expansion_speed),
        exploration_harvest_time_years=float(model.harvest_time),
        exploration_objective="ln of the energy in W yr gathered by the horizon",
    )
    gain = float(result.objective) - float(fixed_objective)
    report.add_metrics(
        {
            "exploration_best_fixed_share": best_share,
            "exploration_fixed_log_energy": float(fixed_objective),
            "exploration_optimised_log_energy": float(result.objective),
            "exploration_energy_gain_factor": float(np.exp(gain)),
        }
    )
    target = 1e30
    optimised_time, optimised_reached = time_to_power(result.model, target, horizon)
    fixed_time, fixed_reached = time_to_power(fixed_model, target, horizon)
    report.add_metric("exploration_fixed_years_to_1e30_w", float(fixed_time) if bool(fixed_reached) else np.inf)
    report.add_metric(
        "exploration_optimised_years_to_1e30_w", float(optimised_time) if bool(optimised_reached) else np.inf
    )

    ts = np.linspace(0.0, horizon, 400)
    optimised_ys = np.asarray(solve_exploration(result.model, ts).ys)
    fixed_ys = np.asarray(solve_exploration(fixed_model, ts).ys)
    overtakes = np.nonzero(optimised_ys[:, 1] > optimised_ys[:, 0])[0]
    report.add_metric("exploration_mass_overtakes_years", float(ts[overtakes[0]]) if overtakes.size else np.inf)

    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4))
    left.plot(ts, result.model.schedule(ts), label="optimised")
    left.axhline(best_share, color="k", ls="--", label=f"best fixed split {best_share:.2f}")
    left.set_xlabel("years from the latest data year")
    left.set_ylabel("exploration share u(t)")
    left.legend()
    for ys, label in ((optimised_ys, "optimised"), (fixed_ys, "fixed")):
        middle.semilogy(ts, np.exp(np.logaddexp(ys[:, 0], ys[:, 1])), label=f"{label}: total")
        middle.semilogy(ts, np.exp(ys[:, 1]), ":", label=f"{label}: from mass")
    middle.set_ylim(1e12, None)
    middle.set_xlabel("years from the latest data year")
    middle.set_ylabel("power (W)")
    middle.legend(fontsize=8)
    right.plot(shares, objectives, "o-", label="fixed splits")
    right.axhline(float(result.objective), color="C1", label="optimised schedule")
    right.set_xlabel("fixed exploration share")
    right.set_ylabel("ln energy gathered (W yr)")
    right.legend()
    figure.suptitle("Exploration against exploitation")
    report.add_figure("exploration_schedule", figure)


def _mass_limit(report) -> None:
    efficiency_cap = float(landsberg_efficiency())
    efficiencies = {
        "hydrogen_fusion": tc.ETA_HYDROGEN_FUSION.value,
        "accretion_schwarzschild": tc.ETA_ACCRETION_SCHWARZSCHILD.value,
        "accretion_kerr_max": tc.ETA_ACCRETION_KERR_MAX.value,
    }
    rows = []
    for name, eta in efficiencies.items():
        rate = float(crossover_mass_rate(tc.L_SUN.value, efficiency_cap, eta))
        years = float(harvest_time(rate))
        rows.append([name, eta, rate, years])
        report.add_metric(f"mass_crossover_rate_sun_{name}_kg_per_s", rate)
        report.add_metric(f"mass_crossover_harvest_time_sun_{name}_years", years)
    report.add_table(
        "mass_overtakes_luminosity",
        ["process", "efficiency", "crossover_rate_kg_per_s", "sun_lasts_years_at_that_rate"],
        rows,
    )

    mass_rates = np.logspace(8, 16, 200)
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, eta in efficiencies.items():
        axis.loglog(mass_rates, mass_harvest_power(mass_rates, eta), label=f"mass, {name.replace('_', ' ')}")
    axis.axhline(efficiency_cap * tc.L_SUN.value, color="k", ls="--", label="Sun's luminosity x Landsberg cap")
    axis.set_xlabel("harvest rate (kg/s)")
    axis.set_ylabel("power (W)")
    axis.set_title("Where the mass limit overtakes the Sun's luminosity limit")
    axis.legend(fontsize=8)
    report.add_figure("mass_limit", figure)
