"""Growth fitted to the history of world energy use, and projected years to each limit.

Two models of the power ``P(t)`` in W, with ``t`` in years after a reference year ``t_ref``,
are fitted by least squares on ``ln P`` (relative errors) with
:func:`jaxsim.core.fitting.fit_least_squares`, which also returns the Laplace covariance:

- exponential: ``P = P_ref exp(r t)``, parameters ``log_power = ln P_ref`` and ``rate = r``;
- logistic: ``P = K / (1 + (K / P_ref - 1) exp(-r t))`` with ``K = P_ref (1 + exp(log_headroom))``,
  so that the capacity always lies above ``P_ref``.

The fitted rate's uncertainty is pushed through the growth ODE: rates drawn from the fitted
normal distribution each give a trajectory, and diffrax event detection gives each one's
years to every target power, sharded over devices by :func:`jaxsim.core.ensemble.ensemble`.

NOTE: the residuals of a smooth curve fitted to two centuries of energy use are correlated in
time, because growth sped up after 1950. The Laplace standard error of the rate is the spread
a white-noise model would give, so it understates the real uncertainty.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxsim.core.ensemble import ensemble
from jaxsim.core.fitting import FitResult, fit_least_squares
from jaxsim.technosphere._validation import check_positive
from jaxsim.technosphere.events import time_to_power
from jaxsim.technosphere.growth import ExponentialGrowth

__all__ = [
    "exponential_curve",
    "logistic_curve",
    "fit_exponential",
    "fit_logistic",
    "draw_rates",
    "event_times_to_targets",
    "band",
]


def exponential_curve(params: dict, t: Float[ArrayLike, " n"]) -> Float[Array, " n"]:
    """Evaluate ``P_ref exp(r t)`` in W at ``t`` years after the reference year."""
    return jnp.exp(params["log_power"] + params["rate"] * jnp.asarray(t))


def logistic_curve(params: dict, t: Float[ArrayLike, " n"]) -> Float[Array, " n"]:
    """Evaluate the logistic ``K / (1 + (K / P_ref - 1) exp(-r t))`` in W, in log space."""
    # With K / P_ref - 1 = e^h: ln P = ln K - ln(1 + e^(h - r t)) and ln K = ln P_ref + ln(1 + e^h).
    log_capacity = params["log_power"] + jax.nn.softplus(params["log_headroom"])
    log_power = log_capacity - jax.nn.softplus(params["log_headroom"] - params["rate"] * jnp.asarray(t))
    return jnp.exp(log_power)


def _check_series(years: ArrayLike, power: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    years, power = np.asarray(years, dtype=float), np.asarray(power, dtype=float)
    if years.shape != power.shape or years.ndim != 1:
        raise ValueError(f"years and power must be 1-d of equal length, got shapes {years.shape} and {power.shape}.")
    check_positive("power", power, "W")
    return years, power


def _fit_in_log_space(model, params0: dict, t: Array, power: np.ndarray) -> FitResult:
    # Fit P / S with S the geometric mean of the data, so that ln(P / S) is of order 1 and
    # float32 rounding of the residuals stays near 1e-7 instead of 30 * 1e-7. Shifting
    # log_power back by ln S afterwards leaves the covariance unchanged. The gradient tolerance
    # allows for the rate's gradient sum_i r_i t_i: with |t| up to a few hundred years, float32
    # rounding of the residuals alone gives about 1e-4, and 1e-3 bounds the rate's error near
    # 1e-3 / sum_i t_i^2, below 1e-7 per year for two centuries of data.
    log_scale = float(np.mean(np.log(power)))
    shifted = dict(params0, log_power=params0["log_power"] - log_scale)
    fit = fit_least_squares(model, shifted, t, jnp.asarray(power / np.exp(log_scale)), log_residuals=True, tol=1e-3)
    return eqx.tree_at(lambda result: result.params["log_power"], fit, fit.params["log_power"] + log_scale)


def fit_exponential(
    years: Float[ArrayLike, " n"], power: Float[ArrayLike, " n"], reference_year: float
) -> FitResult:
    """Fit ``P = P_ref exp(r (year - reference_year))`` to ``power`` (W) in log space.

    Returns:
        A :class:`~jaxsim.core.fitting.FitResult` with params ``log_power`` (ln W) and
        ``rate`` (1/yr), their Laplace standard errors and covariance.

    Raises:
        ValueError: for mismatched shapes or non-positive or non-finite powers.
    """
    years, power = _check_series(years, power)
    slope, intercept = np.polyfit(years - reference_year, np.log(power), 1)
    params0 = {"log_power": jnp.asarray(intercept), "rate": jnp.asarray(slope)}
    return _fit_in_log_space(exponential_curve, params0, jnp.asarray(years - reference_year), power)


def fit_logistic(
    years: Float[ArrayLike, " n"],
    power: Float[ArrayLike, " n"],
    reference_year: float,
    *,
    capacity: float | None = None,
    log_headroom0: float = 2.0,
) -> FitResult:
    """Fit the logistic ``K / (1 + (K / P_ref - 1) exp(-r t))`` to ``power`` (W) in log space.

    Args:
        years, power: the series; power in W.
        reference_year: year of ``t = 0``.
        capacity: a fixed capacity ``K`` in W (for example the Earth's luminosity limit times
            the Landsberg cap); the fit then has the two parameters ``log_power`` and ``rate``.
            When None, ``K = P_ref (1 + exp(log_headroom))`` is fitted too, starting from
            ``log_headroom0``; a series still growing exponentially leaves it undetermined.

    Returns:
        A :class:`~jaxsim.core.fitting.FitResult` with params ``log_power`` (ln W), ``rate``
        (1/yr) and, for a free capacity, ``log_headroom``.

    Raises:
        ValueError: for a capacity that is not above every data point.
    """
    years, power = _check_series(years, power)
    # The straight line through ln P starts the rate and ln P_ref (an exponential fit's values).
    slope, intercept = np.polyfit(years - reference_year, np.log(power), 1)
    t = jnp.asarray(years - reference_year)
    params0 = {"log_power": jnp.asarray(intercept), "rate": jnp.asarray(slope)}
    if capacity is None:
        params0["log_headroom"] = jnp.asarray(log_headroom0, dtype=jnp.result_type(float))
        return _fit_in_log_space(logistic_curve, params0, t, power)
    check_positive("capacity", capacity, "W")
    if capacity <= power.max():
        raise ValueError(f"capacity={capacity!r} W must exceed the largest data point {power.max():.4g} W.")
    log_capacity = float(np.log(capacity))
    log_scale = float(np.mean(np.log(power)))
    return _fit_in_log_space(
        lambda params, t: _fixed_capacity_logistic(params, t, log_capacity, log_scale), params0, t, power
    )


def _fixed_capacity_logistic(params: dict, t: Array, log_capacity: float, log_scale: float) -> Array:
    # Inside _fit_in_log_space, params["log_power"] is ln(P_ref / S) and the data are P / S.
    log_p_ref = params["log_power"] + log_scale
    headroom = jnp.log(jnp.expm1(log_capacity - log_p_ref))
    return logistic_curve({"log_power": log_p_ref, "rate": params["rate"], "log_headroom": headroom}, t) / jnp.exp(
        log_scale
    )


def draw_rates(fit: FitResult, key: jax.Array, n: int) -> Float[Array, " n"]:
    """Draw ``n`` growth rates (1/yr) from the normal distribution of the fit's ``rate``."""
    if n < 1:
        raise ValueError(f"n={n} must be at least 1.")
    return fit.params["rate"] + fit.std["rate"] * jax.random.normal(key, (n,))


def event_times_to_targets(
    rates: Float[ArrayLike, " draws"],
    power0: float,
    targets: Float[ArrayLike, " targets"],
    t_max: float,
) -> tuple[Float[Array, "draws targets"], Bool[Array, "draws targets"]]:
    """Solve exponential growth from ``power0`` W at each rate and find when it reaches each target.

    The draws are sharded over all devices with :func:`jaxsim.core.ensemble.ensemble`; each
    draw's times come from :func:`~jaxsim.technosphere.events.time_to_power`.

    Returns:
        ``(times, reached)``, times in years after the start; ``reached`` is False where the
        target was not reached by ``t_max`` (a non-positive drawn rate, or a too short span).
    """
    check_positive("power0", power0, "W")
    check_positive("targets", targets, "W")
    targets = jnp.asarray(targets, dtype=float)

    def one_draw(rate, targets, power0, t_max):
        model = ExponentialGrowth(rate, power0)
        return jax.vmap(lambda target: time_to_power(model, target, t_max))(targets)

    return ensemble(
        one_draw, jnp.asarray(rates, dtype=float), targets, jnp.asarray(power0, dtype=float), jnp.asarray(t_max, dtype=float)
    )


def band(
    times: Float[ArrayLike, "draws targets"],
    reached: Bool[ArrayLike, "draws targets"],
    quantiles: tuple[float, ...] = (0.05, 0.5, 0.95),
) -> np.ndarray:
    """Return the quantiles of the times per target, counting unreached draws as infinite.

    Returns:
        Array ``(len(quantiles), targets)``; ``inf`` where a quantile falls among unreached draws.
    """
    values = np.where(np.asarray(reached), np.asarray(times, dtype=float), np.inf)
    return np.quantile(values, quantiles, axis=0, method="nearest")
