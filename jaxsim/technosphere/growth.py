"""Exponential and logistic growth of a technosphere's power, as closed forms and as diffrax ODEs.

Both models evolve the logarithm of the power ``P`` in watts over time ``t`` in years, which
keeps the state of order 30 to 90 while the power spans 1e13 to 1e40 W:

- exponential: ``d ln P / dt = r``, so ``P(t) = P0 exp(r t)``;
- logistic (Verhulst 1838): ``d ln P / dt = r (1 - P / K)``, so
  ``P(t) = K / (1 + (K / P0 - 1) exp(-r t))``.

For a technosphere on starlight the capacity is ``K = eta_cap * L``, the luminosity limit of
its domain times the thermodynamic efficiency cap (:func:`logistic_capacity`). The times at
which a trajectory reaches a power ``P*`` are

    t_exp = ln(P* / P0) / r,        t_log = (1 / r) ln[P* (K - P0) / (P0 (K - P*))],

the second only for ``P0 < P* < K``.
"""

from __future__ import annotations

import abc

import diffrax
import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere._validation import check_at_most, check_finite, check_positive, concrete

__all__ = [
    "GrowthModel",
    "ExponentialGrowth",
    "LogisticGrowth",
    "logistic_capacity",
    "exponential_power",
    "logistic_power",
    "exponential_time_to_power",
    "logistic_time_to_power",
    "solve_growth",
    "step_controller",
]


class GrowthModel(eqx.Module):
    """A technosphere growth model: an ODE ``dy/dt = f(t, y)`` with ``ln P`` readable from ``y``.

    Time is in years and power in watts. Subclasses define the state, its vector field and
    how to read the power from it; :func:`solve_growth` and
    :func:`~jaxsim.technosphere.events.time_to_power` work with any of them.
    """

    @abc.abstractmethod
    def initial_state(self) -> Array:
        """Return the state at ``t = 0``."""

    @abc.abstractmethod
    def vector_field(self, t: Array, y: Array, args: object) -> Array:
        """Return ``dy/dt`` at time ``t`` (years)."""

    @abc.abstractmethod
    def log_power(self, y: Array) -> Float[Array, ""]:
        """Return ``ln P`` (P in W) of the state ``y``."""

    def max_step(self) -> Float[Array, ""] | None:
        """Return the largest solver step in years, or None for no bound.

        Models whose vector field contains ``exp(ln P - ln K)`` bound the step: a trial stage
        far past the capacity overflows to inf, and the step-size controller cannot recover
        from the non-finite error estimate.
        """
        return None


class ExponentialGrowth(GrowthModel):
    """Exponential growth ``d ln P / dt = r`` from ``P(0) = P0``.

    Attributes:
        rate: growth rate ``r`` in 1/yr; any finite sign (a negative rate is decline).
        power0: initial power ``P0`` in W.
    """

    rate: Float[Array, ""]
    power0: Float[Array, ""]

    def __init__(self, rate: Float[ArrayLike, ""], power0: Float[ArrayLike, ""]):
        check_finite("rate", rate)
        check_positive("power0", power0, "W")
        self.rate = jnp.asarray(rate, dtype=float)
        self.power0 = jnp.asarray(power0, dtype=float)

    def initial_state(self) -> Float[Array, ""]:
        return jnp.log(self.power0)

    def vector_field(self, t, y, args):
        return jnp.broadcast_to(self.rate, jnp.shape(y)).astype(jnp.result_type(y))

    def log_power(self, y):
        return y


class LogisticGrowth(GrowthModel):
    """Logistic growth ``d ln P / dt = r (1 - P / K)`` from ``P(0) = P0``.

    Attributes:
        rate: intrinsic growth rate ``r`` in 1/yr, positive.
        capacity: carrying capacity ``K`` in W, positive.
        power0: initial power ``P0`` in W, positive.
    """

    rate: Float[Array, ""]
    capacity: Float[Array, ""]
    power0: Float[Array, ""]

    def __init__(self, rate: Float[ArrayLike, ""], capacity: Float[ArrayLike, ""], power0: Float[ArrayLike, ""]):
        check_positive("rate", rate, "1/yr")
        check_positive("capacity", capacity, "W")
        check_positive("power0", power0, "W")
        self.rate = jnp.asarray(rate, dtype=float)
        self.capacity = jnp.asarray(capacity, dtype=float)
        self.power0 = jnp.asarray(power0, dtype=float)

    def initial_state(self) -> Float[Array, ""]:
        return jnp.log(self.power0)

    def vector_field(self, t, y, args):
        # exp(y - ln K) instead of exp(y) / K keeps float32 from overflowing above 3e38 W.
        return self.rate * (1.0 - jnp.exp(y - jnp.log(self.capacity)))

    def log_power(self, y):
        return y

    def max_step(self):
        # Near the capacity the field relaxes at rate r, and explicit Runge-Kutta steps above
        # about 3 / r leave the stability region; 2 / r stays inside it.
        return 2.0 / self.rate


def logistic_capacity(
    luminosity_limit: Float[ArrayLike, "*batch"], efficiency_cap: Float[ArrayLike, "*batch"]
) -> Float[Array, "*batch"]:
    """Compute the capacity ``K = eta_cap * L`` in W of a domain with luminosity limit ``L``.

    Raises:
        ValueError: for a concrete non-positive argument or an efficiency cap above 1.
    """
    check_positive("luminosity_limit", luminosity_limit, "W")
    check_positive("efficiency_cap", efficiency_cap)
    check_at_most("efficiency_cap", efficiency_cap, 1.0, "the energy-conservation limit 1")
    return jnp.asarray(efficiency_cap) * jnp.asarray(luminosity_limit)


def exponential_power(
    t: Float[ArrayLike, "*time"], power0: Float[ArrayLike, ""], rate: Float[ArrayLike, ""]
) -> Float[Array, "*time"]:
    """Compute ``P(t) = P0 exp(r t)`` in W at times ``t`` in years."""
    check_positive("power0", power0, "W")
    check_finite("rate", rate)
    return jnp.asarray(power0) * jnp.exp(jnp.asarray(rate) * jnp.asarray(t))


def logistic_power(
    t: Float[ArrayLike, "*time"],
    power0: Float[ArrayLike, ""],
    rate: Float[ArrayLike, ""],
    capacity: Float[ArrayLike, ""],
) -> Float[Array, "*time"]:
    """Compute ``P(t) = K / (1 + (K / P0 - 1) exp(-r t))`` in W at times ``t`` in years."""
    check_positive("power0", power0, "W")
    check_positive("rate", rate, "1/yr")
    check_positive("capacity", capacity, "W")
    power0, rate, capacity = jnp.asarray(power0), jnp.asarray(rate), jnp.asarray(capacity)
    return capacity / (1.0 + (capacity / power0 - 1.0) * jnp.exp(-rate * jnp.asarray(t)))


def exponential_time_to_power(
    target: Float[ArrayLike, "*batch"], power0: Float[ArrayLike, ""], rate: Float[ArrayLike, ""]
) -> Float[Array, "*batch"]:
    """Compute the time ``ln(P* / P0) / r`` in years at which ``P0 exp(r t)`` reaches ``P*``.

    The result is negative when the target lies in the past of a growing trajectory.

    Raises:
        ValueError: for a concrete non-positive target or power, or a zero or NaN rate.
    """
    check_positive("target", target, "W")
    check_positive("power0", power0, "W")
    check_finite("rate", rate)
    rate_value = concrete(rate)
    if rate_value is not None and bool((rate_value == 0).any()):
        raise ValueError("rate=0 never reaches another power; pass a non-zero growth rate.")
    return jnp.log(jnp.asarray(target) / jnp.asarray(power0)) / jnp.asarray(rate)


def logistic_time_to_power(
    target: Float[ArrayLike, "*batch"],
    power0: Float[ArrayLike, ""],
    rate: Float[ArrayLike, ""],
    capacity: Float[ArrayLike, ""],
) -> Float[Array, "*batch"]:
    """Compute the time in years at which logistic growth from ``P0`` reaches ``P*``.

    ``t = (1 / r) ln[P* (K - P0) / (P0 (K - P*))]``. A target at or above the capacity is
    never reached and gives ``inf``.

    Raises:
        ValueError: for a concrete non-positive argument, or ``P0 >= K``.
    """
    check_positive("target", target, "W")
    check_positive("power0", power0, "W")
    check_positive("rate", rate, "1/yr")
    check_positive("capacity", capacity, "W")
    p0_value, capacity_value = concrete(power0), concrete(capacity)
    if p0_value is not None and capacity_value is not None and bool((p0_value >= capacity_value).any()):
        raise ValueError(f"power0={power0!r} W must lie below the capacity {capacity!r} W for logistic growth.")
    target, power0 = jnp.asarray(target), jnp.asarray(power0)
    rate, capacity = jnp.asarray(rate), jnp.asarray(capacity)
    below = target < capacity
    safe_gap = jnp.where(below, capacity - target, 1.0)
    time = jnp.log(target * (capacity - power0) / (power0 * safe_gap)) / rate
    return jnp.where(below, time, jnp.inf)


def solve_growth(
    model: GrowthModel,
    ts: Float[ArrayLike, " time"],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 16_384,
) -> diffrax.Solution:
    """Integrate ``model`` from ``t = 0`` and save its state at times ``ts`` (years, ascending).

    Uses diffrax's Tsit5 (5th-order Runge-Kutta, Tsitouras 2011) with a PID step-size
    controller. Differentiable with respect to every array in ``model`` by backpropagation
    through the solver steps. Solver failure (too many steps) is reported in
    ``solution.result`` instead of raising, so that batched runs keep going.

    Returns:
        The diffrax solution; ``solution.ys`` has the state at ``ts``.
    """
    return solve_saved(model, jnp.asarray(ts, dtype=jnp.result_type(float)), rtol=rtol, atol=atol, max_steps=max_steps)


@eqx.filter_jit
def solve_saved(model: GrowthModel, ts: Array, *, rtol: float, atol: float, max_steps: int) -> diffrax.Solution:
    """Integrate any model with ``vector_field``, ``initial_state`` and ``max_step`` from ``t = 0``.

    Tsit5 with a PID controller, saving the state at ``ts``; failure is reported in ``result``.
    """
    return diffrax.diffeqsolve(
        diffrax.ODETerm(model.vector_field),
        diffrax.Tsit5(),
        t0=0.0,
        t1=ts[-1],
        dt0=None,
        y0=model.initial_state(),
        saveat=diffrax.SaveAt(ts=ts),
        stepsize_controller=step_controller(model, rtol, atol),
        max_steps=max_steps,
        throw=False,
    )


def step_controller(model: GrowthModel, rtol: float, atol: float) -> diffrax.PIDController:
    """Return the PID step-size controller used for ``model``, with its step bound if any."""
    return diffrax.PIDController(rtol=rtol, atol=atol, dtmax=model.max_step())
