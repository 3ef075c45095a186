"""The linear skip path: its radial basis, its continuity and its closed-form fit."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxsim.active import PeriodicBox
from jaxsim.active.learning import LossConfig, ScoreNetConfig, ScoreNetwork, fit_linear_skip, tethered_lattice
from jaxsim.active.learning.evaluate import estimate_entropy_production, sample_scores
from jaxsim.active.learning.network import cutoff_taper, radial_basis
from jaxsim.active.learning.neighborhoods import score_inputs


def test_radial_basis_partition_of_unity():
    config = ScoreNetConfig(cutoff=4.0, skip_basis=8)
    h = 4.0 / 8
    inner = jnp.linspace(0.0, 4.0 - h, 101)
    np.testing.assert_allclose(radial_basis(config, inner).sum(-1), 1.0, atol=1e-6)
    outer = jnp.array([4.0, 4.5, 100.0])
    np.testing.assert_array_equal(radial_basis(config, outer), 0.0)
    # Zero slope at the cutoff: the sum just inside falls like (pi delta / 2 h)^2.
    delta = 1e-2
    assert float(radial_basis(config, jnp.array([4.0 - delta])).sum()) < (np.pi * delta / (2 * h)) ** 2 * 1.01
    np.testing.assert_allclose(cutoff_taper(config, jnp.array([0.0, 4.0 - h, 4.0, 9.0])), [1, 1, 0, 0], atol=1e-12)


def test_radial_basis_without_cutoff_stays_one_far_out():
    config = ScoreNetConfig(cutoff=None, skip_basis=4, length_scale=2.0)
    np.testing.assert_allclose(radial_basis(config, jnp.array([0.0, 3.3, 6.0, 50.0])).sum(-1), 1.0, atol=1e-6)


def test_skip_path_continuous_at_the_cutoff():
    # A neighbour just inside the cutoff changes the score by almost nothing from one just outside.
    config = ScoreNetConfig(dim=2, n_neighbors=2, width=8, n_blocks=1, n_heads=2, length_scale=1.0, cutoff=3.0)
    model = ScoreNetwork(config, rngs=nnx.Rngs(0))
    model.skip.neighbor[...] = jax.random.normal(jax.random.key(1), model.skip.neighbor.shape, jnp.float32)
    from jaxsim.active.learning import build_tokens

    @nnx.jit
    def skip_score(model, r):
        displacements = jnp.stack([jnp.array([1.0, 0.0]), jnp.stack([0.0, r])])
        return model.skip(build_tokens(config, displacements, jnp.ones(2), jnp.ones((2, 2))))

    def score(r):
        return skip_score(model, jnp.float32(r))

    # The basis falls like (pi delta / 2 h)^2 = 7e-7 at delta = 1e-4 inside the cutoff (h = 3 / 16).
    near, inside, outside = score(2.0), score(3.0 - 1e-4), score(3.0 + 1e-4)
    np.testing.assert_allclose(inside, outside, atol=1e-5)
    assert not np.allclose(near, outside, atol=1e-2)


@pytest.fixture(scope="module")
def fitted_lattice():
    # 3 x 3 lattice with k = 8: every particle has all others as neighbours. The exact score is
    # linear with a coefficient per lattice shell, which the skip path represents exactly.
    lattice = tethered_lattice(3, spacing=6.0)
    box = PeriodicBox(side=lattice.box_size)
    config = ScoreNetConfig(
        dim=2, n_neighbors=8, width=8, n_blocks=1, n_heads=2,
        score_positions=True, anchored=True, length_scale=2.0, cutoff=9.6,
    )

    def samples(key, n_samples):
        positions, g, u = lattice.sample(key, n_samples)
        bx, bg = lattice.drift(u, g)
        return score_inputs(positions, g, box, 8, anchor_displacement=u), u, g, jnp.concatenate([bg, bx], -1)

    train = samples(jax.random.key(0), 512)[0]
    model = fit_linear_skip(
        ScoreNetwork(config, rngs=nnx.Rngs(0)), train, LossConfig(kind="implicit", weight_g=1.0, weight_x=0.5)
    )
    return lattice, model, samples(jax.random.key(1), 256)


def test_fit_linear_skip_recovers_the_exact_score(fitted_lattice):
    lattice, model, (inputs, u, g, _) = fitted_lattice
    scores, _ = sample_scores(model, inputs, divergence=False)
    sx, sg = lattice.score(u, g)
    exact = jnp.concatenate([sg, sx], -1)
    relative = float(jnp.mean((scores - exact) ** 2) / jnp.mean(exact**2))
    # 288 parameters from 512 x 9 particles: the least-squares error of the fitted
    # coefficients is of order p / n = 3 percent of a unit-variance noise, and the
    # score variance is several units, so the relative squared error lies well below 1 percent
    # (4e-3 measured).
    assert relative < 1e-2


def test_fit_linear_skip_gives_the_exact_epr(fitted_lattice):
    lattice, model, (inputs, _, _, drift) = fitted_lattice
    estimate = estimate_entropy_production(model, inputs, drift, gamma=lattice.gamma, eps=lattice.eps)
    exact = float(lattice.entropy_production())
    # Two standard errors of the estimate plus 1 percent for the fitted coefficients.
    assert abs(float(estimate.total.total) - exact) < 2 * float(estimate.total.standard_error) + 0.01 * exact
    # The divergence estimator is the noisier one, with a 6 percent standard error on 256
    # samples of 9 particles. The two agree within three of its standard errors.
    first, second = estimate.propulsion, estimate.propulsion_divergence
    assert abs(float(first.total) - float(second.total)) < 3 * float(second.standard_error)


def test_fit_linear_skip_rejects_bad_input(fitted_lattice):
    _, model, (inputs, _, _, _) = fitted_lattice
    config = ScoreNetConfig(dim=2, n_neighbors=8, score_positions=True, anchored=True, linear_skip=False)
    with pytest.raises(ValueError, match="linear_skip=False"):
        fit_linear_skip(ScoreNetwork(config, rngs=nnx.Rngs(0)), inputs, LossConfig())
    with pytest.raises(ValueError, match="leading sample axis"):
        fit_linear_skip(model, jax.tree.map(lambda a: a[0], inputs), LossConfig())
    with pytest.raises(ValueError, match="ridge"):
        fit_linear_skip(model, inputs, LossConfig(), ridge=0.0)
    with pytest.raises(ValueError, match="skip_basis"):
        ScoreNetConfig(skip_basis=1)
