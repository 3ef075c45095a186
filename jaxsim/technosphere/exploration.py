"""Exploration against exploitation: a technosphere that splits its effort between growing its
domain and harvesting more of it, and turns to stellar mass once starlight runs short.

A control ``u(t)`` in (0, 1) is the share of effort spent on exploration. The state is
``y = (ln P_lum, ln P_mass, r, ln E)``: power from starlight and from harvested mass in W, the
radius of the domain in light years, and the energy gathered so far in W yr. With the domain
holding ``N(r)`` Sun-like stars,

    N(r)          = 1 + N_gal (1 - exp(-n (4/3) pi r^3 / N_gal)),
    C_lum(r)      = eta_cap N(r) L_sun,                      (luminosity limit times efficiency cap)
    C_mass(r)     = eta_m c^2 N(r) M_sun / tau,               (mass limit at harvest time tau)
    s             = sigmoid((P_lum / C_lum - q) / w),         (switch to mass near the luminosity limit)
    d ln P_lum/dt = gamma (1 - u) (1 - P_lum / C_lum),
    d ln P_mass/dt= gamma (1 - u) s (1 - P_mass / C_mass),
    dr/dt         = v_max u,                                  (bounded expansion speed)
    d ln E/dt     = (P_lum + P_mass) / E.

Exploration raises the capacities but takes effort from harvesting, so the best schedule
harvests first and explores more and more as the home star fills up. :func:`optimise_schedule`
finds it by gradient ascent with optax on ``ln E(T)``, the log of the energy gathered by a
horizon ``T``, differentiating through the diffrax solve; :func:`best_fixed_split` finds the
best constant ``u`` for comparison.

NOTE: every star counts as a Sun (one solar luminosity and one solar mass). This matches the
Galaxy's luminosity (about 1e11 Suns, Kardashev 1964) on average, but real neighbourhoods are
dominated in number by M dwarfs. The home planet's stage (sunlight on the Earth) is not a
separate domain: the model starts with the whole Sun in reach.
"""

from __future__ import annotations

import math

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere import constants as tc
from jaxsim.technosphere._validation import check_at_most, check_finite, check_positive, concrete
from jaxsim.technosphere.efficiency import landsberg_efficiency
from jaxsim.technosphere.growth import GrowthModel, solve_saved, step_controller

__all__ = [
    "ControlSchedule",
    "ExplorationModel",
    "solve_exploration",
    "log_energy_gathered",
    "best_fixed_split",
    "optimise_schedule",
    "ScheduleResult",
]


class ControlSchedule(eqx.Module):
    """Exploration share ``u(t) = sigmoid(z(t))`` with ``z`` linear between evenly spaced knots.

    Attributes:
        logits: ``z`` at ``n_knots`` knots spread evenly over ``[0, horizon]``; outside that
            interval ``z`` stays at the end values. One knot gives a constant split.
        horizon: time of the last knot, in years.
    """

    logits: Float[Array, " knots"]
    horizon: Float[Array, ""]

    def __init__(self, logits: Float[ArrayLike, " knots"], horizon: Float[ArrayLike, ""]):
        check_finite("logits", logits)
        check_positive("horizon", horizon, "yr")
        self.logits = jnp.atleast_1d(jnp.asarray(logits, dtype=float))
        self.horizon = jnp.asarray(horizon, dtype=float)

    @classmethod
    def constant(cls, share: float, horizon: float, n_knots: int = 1) -> ControlSchedule:
        """Build a schedule that spends the fixed ``share`` in (0, 1) on exploration."""
        if not 0.0 < share < 1.0:
            raise ValueError(f"share={share!r} must lie strictly between 0 and 1; a sigmoid never reaches 0 or 1.")
        return cls(jnp.full((n_knots,), jnp.log(share / (1.0 - share))), horizon)

    def __call__(self, t: Float[ArrayLike, "*time"]) -> Float[Array, "*time"]:
        knots = jnp.linspace(0.0, 1.0, self.logits.shape[0]) * self.horizon
        if self.logits.shape[0] == 1:
            z = jnp.broadcast_to(self.logits[0], jnp.shape(t))
        else:
            z = jnp.interp(jnp.asarray(t), knots, self.logits)
        return jax.nn.sigmoid(z)


class ExplorationModel(GrowthModel):
    """The exploration-exploitation growth model of this module, with time in years.

    Attributes:
        schedule: exploration share ``u(t)``.
        growth_rate: harvesting growth rate ``gamma`` in 1/yr at full effort.
        expansion_speed: maximum expansion speed ``v_max`` of the domain in ly/yr (a fraction
            of the speed of light), at most 1.
        star_density: stars per cubic light year ``n`` around the home star.
        galaxy_stars: number of Sun-equivalents ``N_gal`` in the whole galaxy.
        efficiency_cap: fraction ``eta_cap`` of starlight turned to work, at most 1.
        mass_efficiency: fraction ``eta_m`` of harvested rest mass turned to energy, at most 1.
        harvest_time: time ``tau`` in years to consume the mass of one star at full harvest.
        switch_fraction: ``q``, the share of the luminosity capacity at which mass harvesting
            starts.
        switch_width: ``w``, the sharpness of that switch (a smaller value is a sharper switch).
        power0: starlight power at ``t = 0`` in W.
        mass_seed: mass-harvest power at ``t = 0`` as a fraction of ``power0``, positive
            because the state is its logarithm.
    """

    schedule: ControlSchedule
    growth_rate: Float[Array, ""]
    expansion_speed: Float[Array, ""]
    star_density: Float[Array, ""]
    galaxy_stars: Float[Array, ""]
    efficiency_cap: Float[Array, ""]
    mass_efficiency: Float[Array, ""]
    harvest_time: Float[Array, ""]
    switch_fraction: Float[Array, ""]
    switch_width: Float[Array, ""]
    power0: Float[Array, ""]
    mass_seed: Float[Array, ""]

    def __init__(
        self,
        schedule: ControlSchedule,
        *,
        growth_rate: Float[ArrayLike, ""] = 0.02,
        expansion_speed: Float[ArrayLike, ""] = 0.1,
        star_density: Float[ArrayLike, ""] = tc.STAR_DENSITY.value,
        galaxy_stars: Float[ArrayLike, ""] = tc.N_MILKY_WAY_SUNS.value,
        efficiency_cap: Float[ArrayLike, ""] | None = None,
        mass_efficiency: Float[ArrayLike, ""] = tc.ETA_HYDROGEN_FUSION.value,
        harvest_time: Float[ArrayLike, ""] = 1e9,
        switch_fraction: Float[ArrayLike, ""] = 0.9,
        switch_width: Float[ArrayLike, ""] = 0.02,
        power0: Float[ArrayLike, ""] = 2e13,
        mass_seed: Float[ArrayLike, ""] = 1e-6,
    ):
        if efficiency_cap is None:
            efficiency_cap = float(landsberg_efficiency())

        for name, value, unit in (
            ("growth_rate", growth_rate, "1/yr"),
            ("expansion_speed", expansion_speed, "ly/yr"),
            ("star_density", star_density, "ly^-3"),
            ("galaxy_stars", galaxy_stars, ""),
            ("efficiency_cap", efficiency_cap, ""),
            ("mass_efficiency", mass_efficiency, ""),
            ("harvest_time", harvest_time, "yr"),
            ("switch_fraction", switch_fraction, ""),
            ("switch_width", switch_width, ""),
            ("power0", power0, "W"),
            ("mass_seed", mass_seed, ""),
        ):
            check_positive(name, value, unit)

        check_at_most("expansion_speed", expansion_speed, 1.0, "the speed of light (1 ly/yr)")
        check_at_most("efficiency_cap", efficiency_cap, float(landsberg_efficiency()), "the Landsberg limit")
        check_at_most("mass_efficiency", mass_efficiency, 1.0, "the rest-mass limit 1")
        p0 = concrete(power0)
        if p0 is not None and float(p0) >= float(efficiency_cap) * tc.L_SUN.value:
            raise ValueError(
                f"power0={power0!r} W is at or above the home star's capacity "
                f"{float(efficiency_cap) * tc.L_SUN.value:.3e} W; start below it."
            )

        as_array = lambda value: jnp.asarray(value, dtype=float)  # noqa: E731
        self.schedule = schedule
        self.growth_rate = as_array(growth_rate)
        self.expansion_speed = as_array(expansion_speed)
        self.star_density = as_array(star_density)
        self.galaxy_stars = as_array(galaxy_stars)
        self.efficiency_cap = as_array(efficiency_cap)
        self.mass_efficiency = as_array(mass_efficiency)
        self.harvest_time = as_array(harvest_time)
        self.switch_fraction = as_array(switch_fraction)
        self.switch_width = as_array(switch_width)
        self.power0 = as_array(power0)
        self.mass_seed = as_array(mass_seed)

    def log_stars(self, radius: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
        """Return ``ln N(r)``, the log of the number of Sun-like stars within ``radius`` ly."""
        volume_stars = self.star_density * (4.0 / 3.0) * jnp.pi * jnp.asarray(radius) ** 3
        reached = -self.galaxy_stars * jnp.expm1(-volume_stars / self.galaxy_stars)
        return jnp.log1p(reached)

    def log_luminosity_capacity(self, radius: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
        """Return ``ln C_lum(r)`` (W): the domain's starlight times the efficiency cap."""
        return self.log_stars(radius) + jnp.log(self.efficiency_cap * tc.L_SUN.value)

    def log_mass_capacity(self, radius: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
        """Return ``ln C_mass(r)`` (W): the domain's rest mass times ``eta_m c^2`` over ``tau``."""
        # Summed in log space: c^2 M_sun = 1.8e47 J overflows float32.
        log_rest_energy = 2.0 * math.log(tc.C.value) + math.log(tc.M_SUN.value)
        log_per_star = jnp.log(self.mass_efficiency) + log_rest_energy - jnp.log(self.harvest_time * tc.YEAR.value)
        return self.log_stars(radius) + log_per_star

    def initial_state(self) -> Float[Array, " 4"]:
        log_p0 = jnp.log(self.power0)
        # E(0) = P0 * 1 yr keeps ln E finite at t = 0; it is negligible after a few years.
        return jnp.stack([log_p0, log_p0 + jnp.log(self.mass_seed), jnp.zeros_like(log_p0), log_p0])

    def vector_field(self, t, y, args):
        log_lum, log_mass, radius, log_energy = y[0], y[1], y[2], y[3]
        share = self.schedule(t)
        effort = self.growth_rate * (1.0 - share)
        lum_fill = jnp.exp(log_lum - self.log_luminosity_capacity(radius))
        mass_fill = jnp.exp(log_mass - self.log_mass_capacity(radius))
        switch = jax.nn.sigmoid((lum_fill - self.switch_fraction) / self.switch_width)
        log_power = jnp.logaddexp(log_lum, log_mass)
        return jnp.stack(
            [
                effort * (1.0 - lum_fill),
                effort * switch * (1.0 - mass_fill),
                self.expansion_speed * share,
                jnp.exp(log_power - log_energy),
            ]
        )

    def log_power(self, y):
        return jnp.logaddexp(y[0], y[1])

    def max_step(self):
        # The filled capacities relax at rate gamma (1 - u) <= gamma; see LogisticGrowth.max_step.
        return 2.0 / self.growth_rate


def solve_exploration(
    model: ExplorationModel,
    ts: Float[ArrayLike, " time"],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 16_384,
) -> diffrax.Solution:
    """Integrate ``model`` from ``t = 0`` and save the 4-vector state at ``ts`` (years).

    Same solver as :func:`~jaxsim.technosphere.growth.solve_growth`; ``solution.ys`` has shape
    ``(len(ts), 4)``. Solver failure is reported in ``solution.result``.
    """
    ts = jnp.asarray(ts, dtype=jnp.result_type(float))
    return solve_saved(model, ts, rtol=rtol, atol=atol, max_steps=max_steps)


def log_energy_gathered(
    model: ExplorationModel,
    horizon: Float[ArrayLike, ""],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    max_steps: int = 16_384,
) -> Float[Array, ""]:
    """Return ``ln E(T)``, the log of the energy in W yr gathered by the horizon ``T`` years.

    NaN when the solver fails (too many steps), so that a failed run is never mistaken for a
    good one.
    """
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(model.vector_field),
        diffrax.Tsit5(),
        t0=0.0,
        t1=jnp.asarray(horizon, dtype=float),
        dt0=None,
        y0=model.initial_state(),
        saveat=diffrax.SaveAt(t1=True),
        stepsize_controller=step_controller(model, rtol, atol),
        max_steps=max_steps,
        throw=False,
    )
    value = solution.ys[-1, 3]
    return jnp.where(diffrax.is_successful(solution.result), value, jnp.nan)


class ScheduleResult(eqx.Module):
    """Outcome of a schedule optimisation.

    Attributes:
        model: the model with the optimised schedule.
        objective: ``ln E(T)`` of that schedule.
        history: ``ln E(T)`` before each optimiser step.
    """

    model: ExplorationModel
    objective: Float[Array, ""]
    history: Float[Array, " steps"]


def _with_logits(model: ExplorationModel, logits: Array) -> ExplorationModel:
    return eqx.tree_at(lambda m: m.schedule.logits, model, logits)


@eqx.filter_jit
def _optimise_logits(model: ExplorationModel, horizon: Array, steps: int, learning_rate: float) -> ScheduleResult:
    optimiser = optax.adam(learning_rate)

    def loss(logits):
        return -log_energy_gathered(_with_logits(model, logits), horizon)

    def step(carry, _):
        logits, state = carry
        value, grad = jax.value_and_grad(loss)(logits)
        updates, state = optimiser.update(grad, state, logits)
        return (optax.apply_updates(logits, updates), state), -value

    logits0 = model.schedule.logits
    (logits, _), history = jax.lax.scan(step, (logits0, optimiser.init(logits0)), None, length=steps)
    best = _with_logits(model, logits)
    return ScheduleResult(best, -loss(logits), history)


def optimise_schedule(
    model: ExplorationModel,
    horizon: float,
    *,
    steps: int = 200,
    learning_rate: float = 0.1,
) -> ScheduleResult:
    """Maximise ``ln E(T)`` over the schedule's logits with Adam, starting from ``model.schedule``.

    Gradients come from backpropagation through the Tsit5 steps of the diffrax solve. The
    number of knots is that of ``model.schedule``.

    Raises:
        ValueError: for a non-positive horizon or step count, or a non-finite objective at
            the start (check the model's parameters).
    """
    check_positive("horizon", horizon, "yr")
    if steps < 1:
        raise ValueError(f"steps={steps} must be at least 1.")
    start = float(log_energy_gathered(model, horizon))
    if not jnp.isfinite(start):
        raise ValueError("the objective ln E(T) is not finite at the initial schedule; the solver failed.")
    return _optimise_logits(model, jnp.asarray(horizon, dtype=float), steps, learning_rate)


def best_fixed_split(
    model: ExplorationModel,
    horizon: float,
    shares: Float[ArrayLike, " shares"],
) -> tuple[Float[Array, ""], Float[Array, ""], Float[Array, " shares"]]:
    """Evaluate ``ln E(T)`` for each constant exploration share and return the best one.

    Args:
        model: the model whose schedule is replaced by each constant share.
        horizon: ``T`` in years.
        shares: candidate shares, each strictly between 0 and 1.

    Returns:
        ``(best_share, best_objective, objectives)``; the objectives are ``ln E(T)`` per share,
        NaN where the solver failed.
    """
    shares = jnp.asarray(shares, dtype=float)
    share_values = concrete(shares)
    if share_values is not None and not ((share_values > 0) & (share_values < 1)).all():
        raise ValueError(f"shares must lie strictly between 0 and 1, got {share_values.tolist()}.")
    n_knots = model.schedule.logits.shape[0]

    def objective(share):
        logits = jnp.full((n_knots,), jnp.log(share) - jnp.log1p(-share))
        return log_energy_gathered(_with_logits(model, logits), horizon)

    objectives = jax.jit(jax.vmap(objective))(shares)
    best = jnp.nanargmax(objectives)
    return shares[best], objectives[best], objectives
