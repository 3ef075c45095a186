"""Tests of the simulation driver: snapshots, overflow recovery, NaN detection, checkpoints and
ensembles on one and four devices."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import run_on_host_devices

from jaxsim.active import (
    ABP,
    AOUP,
    NonFiniteError,
    System,
    allocate,
    build,
    neighbor_spec,
    open_space,
    periodic_box,
    run,
    run_ensemble,
    soft_disks,
)

N = 128


@pytest.fixture(scope="module")
def soft_system():
    box = periodic_box(N, 0.6, 0.5)
    system = System(ABP(1.0, 0.5, 0.05), box, 0.01, pair=soft_disks(10.0, 0.5))
    positions = jax.random.uniform(jax.random.key(0), (N, 2), maxval=box.side)
    return system, system.init(jax.random.key(1), positions)


def test_run_records_snapshots_deterministically(soft_system):
    system, state = soft_system
    first = run(system, state, jax.random.key(2), 60, snapshot_every=20, thermalize_steps=20, segment_snapshots=2)
    again = run(system, state, jax.random.key(2), 60, snapshot_every=20, thermalize_steps=20, segment_snapshots=1)
    assert first.positions.shape == (3, N, 2)
    np.testing.assert_array_equal(first.steps, [20, 40, 60])
    # Segmenting does not change the noise, because step t always draws from fold_in(key, t).
    np.testing.assert_allclose(first.positions, again.positions, rtol=0, atol=1e-5)
    np.testing.assert_allclose(first.positions[-1], first.state.positions)
    assert first.n_regrows == 0


def test_overflow_is_recovered_by_growing(soft_system):
    system, state = soft_system
    roomy = allocate(state.positions, system.space, system.pair.cutoff, 0.3)
    tight_spec = dataclasses.replace(roomy.spec, capacity=2)
    tight = build(state.positions, system.space, tight_spec)
    assert bool(tight.overflow)
    grown = run(system, state, jax.random.key(3), 40, snapshot_every=20, neighbors=tight)
    reference = run(system, state, jax.random.key(3), 40, snapshot_every=20, neighbors=roomy)
    assert grown.n_regrows >= 1
    assert not bool(grown.neighbors.overflow)
    assert grown.neighbors.spec.capacity > 2
    np.testing.assert_allclose(grown.positions, reference.positions, atol=1e-5)


def test_nan_names_step_and_particle():
    system = System(AOUP(1.0, 1.0, 0.1), open_space(2), 0.01, trap_stiffness=1.0)
    positions = jnp.zeros((5, 2)).at[3, 1].set(jnp.nan)
    state = system.init(jax.random.key(4), positions)
    with pytest.raises(NonFiniteError, match="particle 3") as error:
        run(system, state, jax.random.key(5), 20, snapshot_every=10)
    assert error.value.step == 0
    assert error.value.particle == 3


def test_divergence_stops_with_step():
    # x -> (1 - A dt) x = -999 x per step: 1000 * 999^12 overflows float32 one step before 999^13.
    system = System(AOUP(0.0, 1.0, 0.0), open_space(2), 1.0, trap_stiffness=1000.0)
    positions = jnp.ones((4, 2)).at[2].set(1000.0)
    with pytest.raises(NonFiniteError, match="particle 2") as error:
        run(system, system.init(jax.random.key(6), positions), jax.random.key(7), 40, snapshot_every=10)
    assert error.value.step == 11


def test_checkpoint_resume_continues_run(soft_system, tmp_path):
    system, state = soft_system
    kwargs = dict(snapshot_every=10, thermalize_steps=10, segment_snapshots=1)
    straight = run(system, state, jax.random.key(8), 40, **kwargs)
    run(system, state, jax.random.key(8), 20, checkpoint_dir=tmp_path, **kwargs)
    resumed = run(system, state, jax.random.key(8), 40, checkpoint_dir=tmp_path, resume=True, **kwargs)
    assert resumed.positions.shape == straight.positions.shape
    np.testing.assert_allclose(resumed.positions, straight.positions, atol=1e-5)


def test_run_rejects_bad_settings(soft_system, tmp_path):
    system, state = soft_system
    with pytest.raises(ValueError, match="n_steps"):
        run(system, state, jax.random.key(0), 0)
    with pytest.raises(ValueError, match="multiple"):
        run(system, state, jax.random.key(0), 25, snapshot_every=10)
    with pytest.raises(ValueError, match="thermalize_steps"):
        run(system, state, jax.random.key(0), 20, snapshot_every=10, thermalize_steps=-10)
    with pytest.raises(ValueError, match="checkpoint_dir"):
        run(system, state, jax.random.key(0), 20, snapshot_every=10, resume=True)


def test_ensemble_regrows_and_flags(soft_system):
    system, _ = soft_system

    def init(key):
        positions = jax.random.uniform(key, (N, 2), maxval=system.space.side)
        return system.init(key, positions)

    spec = dataclasses.replace(neighbor_spec(system.space, N, system.pair.cutoff, 0.3), capacity=2)
    result = run_ensemble(system, init, jax.random.key(9), 3, 20, snapshot_every=10, spec=spec)
    assert result.positions.shape == (3, 2, N, 2)
    assert result.n_regrows >= 1
    assert result.spec.capacity > 2
    with pytest.raises(ValueError, match="spec"):
        run_ensemble(system, init, jax.random.key(9), 3, 20, snapshot_every=10)


_ENSEMBLE_CODE = """
import json, jax, jax.numpy as jnp
from jaxsim.active import ABP, System, neighbor_spec, periodic_box, run_ensemble, soft_disks
box = periodic_box(64, 0.6, 0.5)
system = System(ABP(1.0, 0.5, 0.05), box, 0.01, pair=soft_disks(10.0, 0.5))
def init(key):
    return system.init(key, jax.random.uniform(key, (64, 2), maxval=box.side))
spec = neighbor_spec(box, 64, system.pair.cutoff, 0.3)
result = run_ensemble(system, init, jax.random.key(11), 5, 20, snapshot_every=10, spec=spec)
print(json.dumps({"devices": jax.device_count(), "positions": result.positions.tolist()}))
"""


def test_ensemble_same_on_one_and_four_devices():
    one = run_on_host_devices(_ENSEMBLE_CODE, 1)
    four = run_on_host_devices(_ENSEMBLE_CODE, 4)
    assert one["devices"] == 1
    assert four["devices"] == 4
    np.testing.assert_allclose(np.asarray(one["positions"]), np.asarray(four["positions"]), rtol=0, atol=1e-5)
