"""Losses and estimators against closed forms of the linear reference."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxsim.active.learning import (
    Drift,
    LossConfig,
    aoup_trap_reference,
    denoising_loss,
    entropy_production,
    estimator_agreement,
    fokker_planck_residual,
    implicit_loss,
    local_entropy_production,
    particle_scores_and_jacobian_diagonal,
    probability_flow_velocity,
    propulsion_entropy_production,
    propulsion_entropy_production_divergence,
    spatial_map,
)


def _one(inputs):
    return jax.tree.map(lambda leaf: leaf[0], inputs)


def test_implicit_loss_is_weighted_square_plus_divergence(small_model, lattice_inputs):
    inputs = _one(lattice_inputs(1)[0])
    loss = LossConfig(kind="implicit", weight_g=2.0, weight_x=0.5)
    value = nnx.jit(implicit_loss, static_argnames="loss")(small_model, inputs, jax.random.key(0), loss=loss)
    scores, diagonal = nnx.jit(particle_scores_and_jacobian_diagonal)(small_model, inputs)
    weights = jnp.array([2.0, 2.0, 0.5, 0.5])
    expected = jnp.mean(jnp.sum(weights * (scores**2 + 2 * diagonal), axis=-1))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_denoising_loss_of_zero_score(small_config, lattice_inputs):
    # A zero read-out gives s = 0, so the loss is the weighted mean square of the noise.
    from jaxsim.active.learning import ScoreNetwork

    model = ScoreNetwork(small_config, rngs=nnx.Rngs(0))
    inputs = _one(lattice_inputs(1)[0])
    loss = LossConfig(kind="denoising", weight_g=1.0, weight_x=3.0)
    value = nnx.jit(denoising_loss, static_argnames="loss")(model, inputs, jax.random.key(2), loss=loss)
    noise = jax.random.normal(jax.random.key(2), (9, 4))
    expected = jnp.mean(jnp.sum(jnp.array([1.0, 1.0, 3.0, 3.0]) * noise**2, axis=-1))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_fokker_planck_residual_vanishes_for_exact_score(x64):
    reference = aoup_trap_reference(1.3, 0.8, 0.4, 1.1)
    z = reference.sample(jax.random.key(0), 50)  # (x, g) per row
    order = jnp.array([1, 0])  # the network order is (g, x)
    scores = reference.score(z)[:, order]
    drift = (z @ reference.drift_matrix.T)[:, order]
    diagonal = jnp.broadcast_to(-jnp.diag(reference.precision)[order], scores.shape)
    drift_divergence = jnp.full((50,), jnp.trace(reference.drift_matrix))
    diffusion = jnp.diag(reference.diffusion)[order]
    # Treat the 50 samples as 50 particles of one configuration: the residual is zero per particle.
    residual = fokker_planck_residual(scores, diagonal, Drift(drift, drift_divergence), diffusion)
    assert abs(float(residual)) < 1e-12
    wrong = fokker_planck_residual(1.1 * scores, 1.1 * diagonal, Drift(drift, drift_divergence), diffusion)
    assert abs(float(wrong)) > 1e-3


def test_estimators_on_exact_lattice_score(x64, small_lattice):
    _, g, u = small_lattice.sample(jax.random.key(3), 2000)
    bx, bg = small_lattice.drift(u, g)
    sx, sg = small_lattice.score(u, g)
    diffusion = jnp.array([small_lattice.gamma] * 2 + [small_lattice.eps] * 2)
    velocity = probability_flow_velocity(jnp.concatenate([sg, sx], -1), jnp.concatenate([bg, bx], -1), diffusion)
    total = entropy_production(local_entropy_production(velocity, diffusion))
    exact = float(small_lattice.entropy_production())
    assert abs(float(total.total) - exact) < 4 * float(total.standard_error)
    # Divergence form of the g-part: d s_g / d g is minus the diagonal of the precision.
    precision = small_lattice.reference.precision
    diagonal_g = jnp.broadcast_to(-jnp.diag(precision)[1::2][None, :, None], g.shape)
    first = entropy_production(propulsion_entropy_production(g, sg, small_lattice.gamma))
    second = entropy_production(propulsion_entropy_production_divergence(g, diagonal_g, small_lattice.gamma))
    tolerance = 4 * np.hypot(float(first.standard_error), float(second.standard_error))
    assert abs(float(first.total) - float(second.total)) < tolerance
    assert float(estimator_agreement(first.total, second.total)) < tolerance / float(first.total)


def test_spatial_map_counts_and_density():
    positions = jnp.array([[[0.5, 0.5], [1.5, 0.5], [1.6, 0.4]], [[0.5, 1.5], [1.5, 1.5], [3.9, 3.9]]])
    values = jnp.array([[1.0, 2.0, 4.0], [3.0, 5.0, 7.0]])
    result = spatial_map(positions, values, 4.0, 2)
    assert int(result.counts.sum()) == 6
    np.testing.assert_allclose(result.mean[0, 0], (1.0 + 2.0 + 4.0 + 3.0 + 5.0) / 5)
    np.testing.assert_allclose(result.density[1, 1], 7.0 / (2 * 4.0))
    assert float(result.mean[1, 0]) == 0.0


def test_estimators_reject_bad_input():
    with pytest.raises(ValueError, match="diffusion component"):
        local_entropy_production(jnp.ones((3, 2)), jnp.array([1.0, 0.0]))
    with pytest.raises(ValueError, match="samples >= 2"):
        entropy_production(jnp.ones((1, 4)))
    with pytest.raises(ValueError, match=r"non-finite value at \(sample, particle\) \(1, 2\)"):
        entropy_production(jnp.ones((3, 4)).at[1, 2].set(jnp.inf))
    with pytest.raises(ValueError, match="shape \\(samples, n, 2\\)"):
        spatial_map(jnp.ones((2, 3, 3)), jnp.ones((2, 3)), 1.0, 4)
