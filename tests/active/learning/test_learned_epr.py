"""Learned EPR against the exact value of the tethered lattice: a fast smoke run and a slow validation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

from jaxsim.active import PeriodicBox
from jaxsim.active.learning import (
    LossConfig,
    ScoreDataset,
    ScoreNetConfig,
    ScoreNetwork,
    TrainConfig,
    tethered_lattice,
    train_score,
)
from jaxsim.active.learning.evaluate import estimate_entropy_production
from jaxsim.active.learning.neighborhoods import score_inputs


def _learn(n_side: int, width: int, n_blocks: int, steps: int, n_train: int, n_eval: int):
    # Spacing 6 keeps the 8 nearest neighbours inside the cutoff 9.6 and the 9th outside it.
    lattice = tethered_lattice(n_side, spacing=6.0)
    box = PeriodicBox(side=lattice.box_size)
    config = ScoreNetConfig(
        dim=2, n_neighbors=8, width=width, n_blocks=n_blocks, n_heads=2,
        score_positions=True, anchored=True, length_scale=2.0, cutoff=9.6,
    )

    def samples(key, n_samples):
        positions, g, u = lattice.sample(key, n_samples)
        bx, bg = lattice.drift(u, g)
        return score_inputs(positions, g, box, 8, anchor_displacement=u), jnp.concatenate([bg, bx], -1)

    train_inputs, _ = samples(jax.random.key(0), n_train)
    result = train_score(
        ScoreNetwork(config, rngs=nnx.Rngs(0)),
        ScoreDataset(train_inputs),
        TrainConfig(steps=steps, batch_size=4, learning_rate=3e-3, warmup_steps=steps // 15, log_every=50,
                    checkpoint_every=50 * (steps // 50 or 1)),
        LossConfig(kind="implicit", weight_g=lattice.gamma, weight_x=lattice.eps),
    )
    eval_inputs, drift = samples(jax.random.key(1), n_eval)
    estimate = estimate_entropy_production(result.model, eval_inputs, drift, gamma=lattice.gamma, eps=lattice.eps)
    return estimate, float(lattice.entropy_production())


def test_learned_epr_small_lattice():
    # 9 particles, the closed-form skip fit and 50 steps. The s = 0 value (the mean of
    # b^T D^-1 b) is about 8 times the exact EPR. The learned one must lie within three
    # standard errors of the estimate (2 percent each on 256 samples) plus 2 percent for the
    # error of the learned score.
    estimate, exact = _learn(3, width=8, n_blocks=1, steps=50, n_train=256, n_eval=256)
    learned = float(estimate.total.total)
    error = float(estimate.total.standard_error)
    print(f"learned {learned:.3f} +/- {error:.3f}, exact {exact:.3f}")
    assert abs(learned - exact) < 3 * error + 0.02 * exact
    assert bool(jnp.isfinite(estimate.local).all())


@pytest.mark.slow
def test_learned_epr_64_particles_within_3_percent():
    # The setup of the full study: 64 particles, closed-form skip fit, 600 steps.
    estimate, exact = _learn(8, width=16, n_blocks=2, steps=600, n_train=4096, n_eval=256)
    learned = float(estimate.total.total)
    print(f"learned {learned:.3f} +/- {float(estimate.total.standard_error):.3f}, exact {exact:.3f}, "
          f"agreement {float(estimate.agreement):.4f}")
    # 3 percent of the exact value; the sampling error of the estimate (0.6 percent) is inside it.
    assert abs(learned - exact) / exact < 0.03
    assert float(estimate.agreement) < 0.03
