"""Exploration-exploitation model: invariants, limits, gradients and the optimised schedule."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.technosphere import (
    ControlSchedule,
    ExplorationModel,
    best_fixed_split,
    log_energy_gathered,
    optimise_schedule,
    solve_exploration,
    time_to_power,
)
from jaxsim.technosphere import constants as tc

HORIZON = 4000.0


def make_model(share=0.2, n_knots=4, **kwargs):
    return ExplorationModel(ControlSchedule.constant(share, HORIZON, n_knots), growth_rate=0.02, **kwargs)


def test_schedule_values():
    schedule = ControlSchedule(jnp.array([0.0, jnp.log(3.0)]), 100.0)
    np.testing.assert_allclose(schedule(jnp.array([0.0, 100.0, 200.0])), [0.5, 0.75, 0.75], rtol=1e-6)
    constant = ControlSchedule.constant(0.3, 100.0, 1)
    assert float(constant(37.0)) == pytest.approx(0.3, rel=1e-6)


def test_star_count_limits():
    model = make_model()
    assert float(model.log_stars(0.0)) == pytest.approx(0.0)
    # Small radius: 1 + n (4/3) pi r^3 stars.
    assert float(jnp.exp(model.log_stars(10.0))) == pytest.approx(1 + 0.004 * 4 / 3 * np.pi * 1000, rel=1e-5)
    # Huge radius: the whole galaxy plus the home star.
    assert float(model.log_stars(1e7)) == pytest.approx(np.log1p(tc.N_MILKY_WAY_SUNS.value), rel=1e-6)


def test_trajectory_invariants():
    model = make_model(0.25)
    ts = jnp.linspace(0.0, HORIZON, 41)
    ys = solve_exploration(model, ts).ys
    radius = ys[:, 2]
    # dr/dt = v_max u with constant u: r(t) = 0.1 * 0.25 * t light years.
    np.testing.assert_allclose(radius, 0.1 * 0.25 * ts, rtol=1e-4, atol=1e-4)
    # Powers never exceed their capacities (to solver tolerance) and the energy only grows.
    lum_fill = ys[:, 0] - model.log_luminosity_capacity(radius)
    mass_fill = ys[:, 1] - model.log_mass_capacity(radius)
    assert float(lum_fill.max()) < 1e-3
    assert float(mass_fill.max()) < 1e-3
    assert bool(jnp.all(jnp.diff(ys[:, 3]) > 0))


def test_no_exploration_stays_below_the_home_star():
    model = make_model(1e-6)
    # The switch opens near 1500 yr and ln P_mass then climbs 49 e-folds at 0.02/yr.
    ys = solve_exploration(model, jnp.array([0.0, 8000.0])).ys
    # ln(eta_cap L_sun) with the Landsberg cap 0.9307 at 300 K.
    assert float(ys[-1, 0]) <= np.log(0.9307 * tc.L_SUN.value) + 1e-3
    # Mass harvesting switched on and filled the home star's mass capacity: eta c^2 M / tau.
    mass_capacity = tc.ETA_HYDROGEN_FUSION.value * tc.C.value**2 * tc.M_SUN.value / (1e9 * tc.YEAR.value)
    assert float(ys[-1, 1]) == pytest.approx(np.log(mass_capacity), abs=0.05)


@pytest.mark.slow
def test_objective_gradient_matches_finite_difference(x64):
    model = make_model(0.3, n_knots=3)
    tight = {"rtol": 1e-10, "atol": 1e-10}

    def objective(logits):
        return log_energy_gathered(eqx.tree_at(lambda m: m.schedule.logits, model, logits), HORIZON, **tight)

    logits = jnp.asarray(model.schedule.logits, dtype=jnp.float64)
    grad = jax.grad(objective)(logits)
    step = 1e-5
    for i in range(logits.shape[0]):
        shift = jnp.zeros_like(logits).at[i].set(step)
        central = (objective(logits + shift) - objective(logits - shift)) / (2 * step)
        # Central differences carry ~step^2 truncation and ~1e-10 / step solver noise, both
        # below 1e-4 relative to gradients of order 1.
        assert float(grad[i]) == pytest.approx(float(central), rel=1e-4, abs=1e-6)


def test_optimised_schedule_beats_best_fixed_split():
    model = make_model(0.2, n_knots=4)
    share, fixed_objective, objectives = best_fixed_split(model, HORIZON, jnp.linspace(0.05, 0.95, 5))
    assert bool(jnp.all(jnp.isfinite(objectives)))
    assert float(fixed_objective) == pytest.approx(float(jnp.max(objectives)))
    start = eqx.tree_at(lambda m: m.schedule.logits, model, jnp.full((4,), jnp.log(share / (1 - share))))
    result = optimise_schedule(start, HORIZON, steps=6, learning_rate=0.1)
    assert result.history.shape == (6,)
    assert float(result.history[0]) == pytest.approx(float(fixed_objective), abs=1e-3)
    assert float(result.objective) > float(fixed_objective)


def test_event_time_on_exploration_model():
    model = make_model(0.2)
    time, reached = time_to_power(model, 1e26, HORIZON)
    assert bool(reached)
    ys = solve_exploration(model, jnp.array([0.0, float(time)])).ys
    assert float(model.log_power(ys[-1])) == pytest.approx(np.log(1e26), abs=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"growth_rate": -0.1}, "growth_rate"),
        ({"expansion_speed": 1.5}, "speed of light"),
        ({"efficiency_cap": 0.95}, "Landsberg"),
        ({"mass_efficiency": 1.2}, "rest-mass"),
        ({"power0": 1e30}, "capacity"),
        ({"harvest_time": float("nan")}, "harvest_time"),
    ],
)
def test_model_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ExplorationModel(ControlSchedule.constant(0.2, HORIZON), **kwargs)


def test_schedule_rejects_bad_input():
    with pytest.raises(ValueError, match="share"):
        ControlSchedule.constant(1.0, HORIZON)
    with pytest.raises(ValueError, match="logits"):
        ControlSchedule(jnp.array([jnp.nan]), HORIZON)
    with pytest.raises(ValueError, match="shares"):
        best_fixed_split(make_model(), HORIZON, jnp.array([0.0, 0.5]))
