"""Training: the loss falls, a resumed run equals an uninterrupted one, bad data is rejected."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxsim.active.learning import LossConfig, ScoreDataset, ScoreInputs, TrainConfig, train_score

_CONFIG = TrainConfig(steps=20, batch_size=2, learning_rate=3e-3, warmup_steps=2, log_every=5, checkpoint_every=10)
_LOSS = LossConfig(kind="implicit", weight_g=1.0, weight_x=0.5)


class _Interrupt(Exception):
    pass


def _params(model):
    return jax.tree.leaves(nnx.state(model, nnx.Param))


def test_resume_equals_uninterrupted(tmp_path, small_model, lattice_inputs):
    dataset = ScoreDataset(lattice_inputs(16)[0])
    full = train_score(small_model, dataset, _CONFIG, _LOSS, checkpoint_dir=tmp_path / "full")

    def interrupt(step, loss):
        if step == 10:
            raise _Interrupt

    with pytest.raises(_Interrupt):
        train_score(small_model, dataset, _CONFIG, _LOSS, checkpoint_dir=tmp_path / "cut", callback=interrupt)
    resumed = train_score(small_model, dataset, _CONFIG, _LOSS, checkpoint_dir=tmp_path / "cut")

    assert resumed.resumed_from == 10
    np.testing.assert_array_equal(resumed.losses, full.losses)
    for a, b in zip(_params(resumed.model), _params(full.model)):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_params(resumed.raw_model), _params(full.raw_model)):
        np.testing.assert_array_equal(a, b)
    # The loss of the implicit objective falls from its start at s = 0 (loss 0).
    assert float(jnp.mean(full.losses[-5:])) < float(jnp.mean(full.losses[:5]))
    assert not any(np.array_equal(a, b) for a, b in zip(_params(full.model), _params(full.raw_model)))


def test_training_rejects_nan_samples(small_model, lattice_inputs):
    inputs = lattice_inputs(4)[0]
    bad = ScoreInputs(
        inputs.propulsion.at[1, 3, 0].set(jnp.nan),
        inputs.neighbor_indices,
        inputs.neighbor_displacements,
        inputs.anchor_displacement,
    )
    with pytest.raises(ValueError, match=r"non-finite value at index \(1, 3, 0\)"):
        train_score(small_model, ScoreDataset(bad), _CONFIG, _LOSS)


def test_train_config_rejects_bad_values():
    with pytest.raises(ValueError, match="multiple of log_every"):
        TrainConfig(steps=10, log_every=4, checkpoint_every=10)
    with pytest.raises(ValueError, match="warmup_steps"):
        TrainConfig(steps=10, warmup_steps=10, log_every=5, checkpoint_every=5)
    with pytest.raises(ValueError, match="ema_decay"):
        TrainConfig(ema_decay=1.0)
    with pytest.raises(ValueError, match="loss kind"):
        LossConfig(kind="sliced")
