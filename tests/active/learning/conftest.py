"""Small systems and networks shared by the score-network tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

from jaxsim.active.learning import ScoreInputs, ScoreNetConfig, ScoreNetwork, tethered_lattice


def dense_knn(positions, box_size, k):
    """Rank all pairs (O(N^2)); a test oracle for small systems."""
    delta = positions[None, :, :] - positions[:, None, :]
    delta = delta - box_size * jnp.round(delta / box_size)
    distance2 = jnp.sum(delta**2, -1) + jnp.eye(positions.shape[0]) * 1e9
    _, indices = jax.lax.top_k(-distance2, k)
    return indices, jnp.take_along_axis(delta, indices[..., None], 1)


@pytest.fixture
def knn():
    return dense_knn


@pytest.fixture
def small_lattice():
    return tethered_lattice(3, spacing=3.0)


@pytest.fixture
def small_config():
    return ScoreNetConfig(
        dim=2, n_neighbors=4, width=8, n_blocks=1, n_heads=2, score_positions=True, anchored=True, length_scale=3.0
    )


@pytest.fixture
def small_model(small_config):
    model = ScoreNetwork(small_config, rngs=nnx.Rngs(0))
    # Random read-out and skip weights, so that scores and Jacobians of both paths are not zero.
    model.decode.kernel[...] = jax.random.normal(jax.random.key(5), model.decode.kernel.shape, jnp.float32)
    model.skip.own.kernel[...] = jax.random.normal(jax.random.key(6), model.skip.own.kernel.shape, jnp.float32)
    model.skip.neighbor[...] = jax.random.normal(jax.random.key(7), model.skip.neighbor.shape, jnp.float32)
    return model


@pytest.fixture
def lattice_inputs(small_lattice, small_config):
    """Return ``make(n_samples, seed) -> (inputs, positions, u, g)`` on the 3 x 3 lattice."""

    def make(n_samples: int, seed: int = 0):
        positions, g, u = small_lattice.sample(jax.random.key(seed), n_samples)
        indices, displacements = jax.vmap(lambda p: dense_knn(p, small_lattice.box_size, small_config.n_neighbors))(
            positions
        )
        return ScoreInputs(g, indices, displacements, u), positions, u, g

    return make
