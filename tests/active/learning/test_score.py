"""The score network: symmetries, locality, exact Jacobians, jit/vmap/grad and bad input."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from helpers import TraceCounter

import jaxsim.active.learning.score as score_module
from jaxsim.active.learning import (
    ScoreInputs,
    ScoreNetConfig,
    ScoreNetwork,
    particle_scores,
    particle_scores_and_hutchinson,
    particle_scores_and_jacobian_diagonal,
    score_function,
    split_score,
    validate_inputs,
)


# Eager NNX runs op by op and is slow, so the tests evaluate through nnx.jit.
particle_scores = nnx.jit(particle_scores)
particle_scores_and_jacobian_diagonal = nnx.jit(particle_scores_and_jacobian_diagonal, static_argnames="chunk_size")
particle_scores_and_hutchinson = nnx.jit(particle_scores_and_hutchinson)


def _one(inputs, sample=0):
    return jax.tree.map(lambda leaf: leaf[sample], inputs)


def test_neighbor_order_does_not_matter(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    order = jnp.array([2, 0, 3, 1])
    shuffled = ScoreInputs(
        inputs.propulsion,
        inputs.neighbor_indices[:, order],
        inputs.neighbor_displacements[:, order],
        inputs.anchor_displacement,
    )
    np.testing.assert_allclose(
        particle_scores(small_model, shuffled), particle_scores(small_model, inputs), rtol=1e-5, atol=1e-5
    )


def test_relabelled_particles_permute_scores(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    n = inputs.n_particles
    perm = jax.random.permutation(jax.random.key(3), n)
    inverse = jnp.argsort(perm)
    # New particle a is old particle perm[a]; neighbour indices are renamed with the inverse.
    relabelled = ScoreInputs(
        inputs.propulsion[perm],
        inverse[inputs.neighbor_indices[perm]],
        inputs.neighbor_displacements[perm],
        inputs.anchor_displacement[perm],
    )
    np.testing.assert_allclose(
        particle_scores(small_model, relabelled),
        particle_scores(small_model, inputs)[perm],
        rtol=1e-5,
        atol=1e-5,
    )


def test_score_is_local(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    neighbours_of_0 = set(np.asarray(inputs.neighbor_indices[0]).tolist())
    far = next(j for j in range(1, inputs.n_particles) if j not in neighbours_of_0)
    changed = ScoreInputs(
        inputs.propulsion.at[far].add(3.0),
        inputs.neighbor_indices,
        inputs.neighbor_displacements,
        inputs.anchor_displacement.at[far].add(1.0),
    )
    before = particle_scores(small_model, inputs)[0]
    after = particle_scores(small_model, changed)[0]
    np.testing.assert_array_equal(before, after)
    assert not np.allclose(particle_scores(small_model, changed)[far], particle_scores(small_model, inputs)[far])


def test_same_weights_any_particle_number(small_config, small_model, knn):
    from jaxsim.active.learning import tethered_lattice

    for n_side in (3, 6):
        lattice = tethered_lattice(n_side, spacing=3.0)
        positions, g, u = lattice.sample(jax.random.key(0), 1)
        idx, disp = knn(positions[0], lattice.box_size, small_config.n_neighbors)
        scores = particle_scores(small_model, ScoreInputs(g[0], idx, disp, u[0]))
        assert scores.shape == (n_side**2, small_config.n_outputs)
        assert bool(jnp.isfinite(scores).all())


def _shifted(inputs: ScoreInputs, particle: int, component: int, h: float, dim: int) -> ScoreInputs:
    # Shift z_{particle, component} in the order (g, x) and rebuild what depends on it.
    g, disp, u = inputs.propulsion, inputs.neighbor_displacements, inputs.anchor_displacement
    if component < dim:
        g = g.at[particle, component].add(h)
    else:
        axis = component - dim
        disp = disp.at[particle, :, axis].add(-h)
        u = u.at[particle, axis].add(h)
    return ScoreInputs(g, inputs.neighbor_indices, disp, u)


def _to_float64(tree):
    return jax.tree.map(lambda a: a.astype(jnp.float64) if a.dtype == jnp.float32 else a, tree)


def test_jacobian_diagonal_matches_finite_differences(x64, small_config, small_model, lattice_inputs):
    graphdef, state = nnx.split(small_model)
    small_model = nnx.merge(graphdef, _to_float64(state))
    inputs = _to_float64(_one(lattice_inputs(1)[0]))
    scores, diagonal = particle_scores_and_jacobian_diagonal(small_model, inputs)
    np.testing.assert_allclose(scores, particle_scores(small_model, inputs), rtol=1e-10)
    h = 1e-3
    for particle in (0, 4):
        for component in range(small_config.n_outputs):
            plus = particle_scores(small_model, _shifted(inputs, particle, component, h, 2))
            minus = particle_scores(small_model, _shifted(inputs, particle, component, -h, 2))
            central = (plus[particle, component] - minus[particle, component]) / (2 * h)
            # Truncation error is O(h^2) ~ 1e-6 times third derivatives of order one. The rounding
            # error measured through the network is ~1e-7 / h, so 1e-3 bounds both.
            assert abs(float(central) - float(diagonal[particle, component])) < 1e-3


def test_hutchinson_is_unbiased(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    _, exact = particle_scores_and_jacobian_diagonal(small_model, inputs)
    keys = jax.random.split(jax.random.key(0), 400)
    graphdef, state = nnx.split(small_model)
    hutchinson = jax.jit(
        jax.vmap(lambda k: score_module.particle_scores_and_hutchinson(nnx.merge(graphdef, state), inputs, k)[1])
    )
    estimates = hutchinson(keys)
    mean = estimates.mean(0)
    standard_error = estimates.std(0) / np.sqrt(keys.shape[0])
    # 5 standard errors, plus float32 round-off, per entry.
    assert bool(jnp.all(jnp.abs(mean - exact) <= 5 * standard_error + 1e-5))


def test_chunked_equals_unchunked(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    full = particle_scores_and_jacobian_diagonal(small_model, inputs)
    chunked = particle_scores_and_jacobian_diagonal(small_model, inputs, chunk_size=4)
    for a, b in zip(full, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_jit_vmap_grad(small_model, lattice_inputs):
    inputs = lattice_inputs(3)[0]
    graphdef, state = nnx.split(small_model)

    def total(state, inputs):
        return jnp.sum(score_module.particle_scores(nnx.merge(graphdef, state), inputs) ** 2)

    batched = jax.jit(jax.vmap(lambda inp: score_module.particle_scores(nnx.merge(graphdef, state), inp)))(inputs)
    single = particle_scores(small_model, _one(inputs, 2))
    np.testing.assert_allclose(batched[2], single, rtol=1e-5, atol=1e-5)
    grads = jax.jit(jax.grad(total))(state, _one(inputs))
    leaves = [leaf for leaf in jax.tree.leaves(grads) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    assert all(bool(jnp.isfinite(leaf).all()) for leaf in leaves)
    assert any(float(jnp.abs(leaf).max()) > 0 for leaf in leaves)


def test_score_function_traces_once(small_model, lattice_inputs, monkeypatch):
    counter = TraceCounter(score_module.particle_scores)
    monkeypatch.setattr(score_module, "particle_scores", counter)
    evaluate = score_function(small_model)
    inputs = lattice_inputs(2)[0]
    evaluate(_one(inputs, 0))
    evaluate(_one(inputs, 1))
    assert counter.count == 1


def test_split_score(small_config):
    scores = jnp.arange(8.0).reshape(2, 4)
    s_g, s_x = split_score(small_config, scores)
    np.testing.assert_array_equal(s_g, scores[:, :2])
    np.testing.assert_array_equal(s_x, scores[:, 2:])


def test_bad_input_raises(small_config, small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    with pytest.raises(ValueError, match="trailing shape"):
        small_model(jnp.zeros((3, 7)))
    wrong_k = ScoreNetConfig(**{**small_config.__dict__, "n_neighbors": 3})
    with pytest.raises(ValueError, match="neighbor_indices"):
        validate_inputs(wrong_k, inputs)
    too_many = ScoreNetConfig(**{**small_config.__dict__, "n_neighbors": 9})
    big = ScoreInputs(inputs.propulsion, jnp.zeros((9, 9), jnp.int32), jnp.zeros((9, 9, 2)), inputs.anchor_displacement)
    with pytest.raises(ValueError, match="larger than N - 1"):
        validate_inputs(too_many, big)
    nan = ScoreInputs(
        inputs.propulsion.at[2, 1].set(jnp.nan),
        inputs.neighbor_indices,
        inputs.neighbor_displacements,
        inputs.anchor_displacement,
    )
    with pytest.raises(ValueError, match=r"propulsion has a non-finite value at index \(2, 1\)"):
        validate_inputs(small_config, nan)
    unanchored = ScoreInputs(inputs.propulsion, inputs.neighbor_indices, inputs.neighbor_displacements)
    with pytest.raises(ValueError, match="anchor_displacement is missing"):
        validate_inputs(small_config, unanchored)
    three_d = ScoreNetConfig(**{**small_config.__dict__, "dim": 3})
    with pytest.raises(ValueError, match="dim=3"):
        validate_inputs(three_d, inputs)
    with pytest.raises(ValueError, match="n_heads"):
        ScoreNetConfig(width=8, n_heads=3)
