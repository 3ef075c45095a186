"""Network inputs from the cell-list search, and samples from the driver."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active import AOUP, PeriodicBox, System, k_nearest_neighbors_dense, periodic_box, soft_disks
from jaxsim.active.learning.neighborhoods import score_inputs
from jaxsim.active.learning.sampling import sample_aoup


def test_score_inputs_match_dense_search():
    space = periodic_box(200, 0.4, 0.5)
    positions = jax.random.uniform(jax.random.key(0), (200, 2)) * space.side
    g = jax.random.normal(jax.random.key(1), (200, 2))
    inputs = score_inputs(positions, g, space, 6)
    indices, displacements, overflow = k_nearest_neighbors_dense(positions, space, 6)
    assert not bool(overflow)
    np.testing.assert_array_equal(inputs.neighbor_indices, indices)
    np.testing.assert_allclose(inputs.neighbor_displacements, displacements, atol=1e-5)


def test_score_inputs_batch_and_growth():
    # A tiny first radius forces the search to grow it until every particle has k neighbours.
    space = PeriodicBox(side=10.0)
    positions = jax.random.uniform(jax.random.key(2), (3, 50, 2)) * 10.0
    g = jnp.zeros_like(positions)
    inputs = score_inputs(positions, g, space, 4, radius=0.5)
    assert inputs.neighbor_indices.shape == (3, 50, 4)
    assert int(inputs.neighbor_indices.max()) < 50


def test_score_inputs_reject_bad_input():
    space = PeriodicBox(side=10.0)
    positions = jax.random.uniform(jax.random.key(3), (5, 2)) * 10.0
    g = jnp.zeros((5, 2))
    with pytest.raises(ValueError, match=r"\[1, N - 1\] = \[1, 4\], got k=5"):
        score_inputs(positions, g, space, 5)
    with pytest.raises(ValueError, match="propulsion must have the shape"):
        score_inputs(positions, jnp.zeros((4, 2)), space, 2)
    with pytest.raises(ValueError, match=r"positions has a non-finite value at index \(2, 0\)"):
        score_inputs(positions.at[2, 0].set(jnp.nan), g, space, 2)


def test_sample_aoup_records_propulsion():
    space = periodic_box(64, 0.3, 0.5)
    system = System(AOUP(v0=1.0, gamma=1.0, eps=0.0), space, 0.01, pair=soft_disks(strength=10.0, radius=0.5))
    state = system.init(jax.random.key(0), jax.random.uniform(jax.random.key(1), (64, 2)) * space.side)
    positions, propulsion, final = sample_aoup(system, state, jax.random.key(2), 6, every=50, segment_snapshots=4)
    assert positions.shape == propulsion.shape == (6, 64, 2)
    np.testing.assert_allclose(propulsion[-1], final.propulsion)
    assert float(positions.min()) >= 0
    assert float(positions.max()) < space.side
    # g relaxes with rate gamma = 1, so snapshots 50 steps (0.5 time units) apart differ.
    assert not np.allclose(propulsion[0], propulsion[1])
