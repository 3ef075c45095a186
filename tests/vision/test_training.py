"""Tests of the digits split and of training with checkpoint resume."""

import numpy as np
import pytest
from flax import nnx

from jaxsim.vision.data import load_digits_splits
from jaxsim.vision.search_space import QUICK_DIGITS_SPACE
from jaxsim.vision.training import accuracy, random_shift, train_classifier


def test_digits_split_is_fixed_and_disjoint():
    a, b = load_digits_splits(seed=0), load_digits_splits(seed=0)
    assert (len(a.train), len(a.val), len(a.test)) == (1077, 360, 360)
    np.testing.assert_array_equal(a.test.x, b.test.x)
    flat = lambda s: {row.tobytes() for row in s.x}
    # Digits has a few duplicate images, so compare sizes of the union rather than exact disjointness.
    assert len(flat(a.train) | flat(a.test)) > 0.99 * (len(a.train) + len(a.test)) - 30
    assert a.train.x.min() >= 0
    assert a.train.x.max() <= 1
    with pytest.raises(ValueError, match="sum below 1"):
        load_digits_splits(val_fraction=0.5, test_fraction=0.5)


@pytest.mark.slow
def test_training_learns_and_resumes(tmp_path):
    data = load_digits_splits()
    model = QUICK_DIGITS_SPACE.build(("ir_k3_e1", "skip", "ir_k3_e1"), rngs=nnx.Rngs(0))
    before = accuracy(model, data.val)
    result = train_classifier(model, data.train, data.val, epochs=2, batch_size=128, checkpoint_dir=tmp_path)
    assert result.val_accuracy > max(before, 0.5)
    assert len(result.history) == 2
    # A rerun with the same folder and epochs finds the finished run and trains nothing.
    again = QUICK_DIGITS_SPACE.build(("ir_k3_e1", "skip", "ir_k3_e1"), rngs=nnx.Rngs(1))
    resumed = train_classifier(again, data.train, data.val, epochs=2, batch_size=128, checkpoint_dir=tmp_path)
    assert resumed.history == result.history
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(model, data.train, data.val, epochs=0)


def test_random_shift_moves_whole_images_with_zero_fill():
    rng = np.random.default_rng(0)
    x = rng.uniform(0.1, 1.0, size=(50, 8, 8, 1)).astype(np.float32)
    shifted = random_shift(x, 1, np.random.default_rng(1))
    assert shifted.shape == x.shape
    assert shifted.dtype == x.dtype
    for orig, out in zip(x, shifted):
        # Exactly one offset (dy, dx) in {-1, 0, 1}^2 reproduces the output, zeros filling the border.
        matches = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                expect = np.zeros_like(orig)
                expect[max(dy, 0) : 8 + min(dy, 0), max(dx, 0) : 8 + min(dx, 0)] = orig[
                    max(-dy, 0) : 8 + min(-dy, 0), max(-dx, 0) : 8 + min(-dx, 0)
                ]
                matches.append(np.array_equal(out, expect))
        assert sum(matches) == 1
    # 50 images draw more than one offset.
    assert not all(np.array_equal(s, x_) for s, x_ in zip(shifted, x))
    np.testing.assert_array_equal(random_shift(x, 0, rng), x)


def test_train_classifier_rejects_negative_shift():
    data = load_digits_splits()
    model = QUICK_DIGITS_SPACE.build(("skip", "skip", "skip"), rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="max_shift"):
        train_classifier(model, data.train, data.val, epochs=1, max_shift=-1)
