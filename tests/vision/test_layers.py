"""Tests of channel shuffle, spatial shift and the convolution + batch-norm unit."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxsim.vision.layers import ConvBN, channel_shuffle, shift_directions, spatial_shift


def test_channel_shuffle_interleaves_groups():
    x = jnp.arange(6.0).reshape(1, 1, 1, 6)
    out = channel_shuffle(x, 2)
    np.testing.assert_array_equal(out.ravel(), [0, 3, 1, 4, 2, 5])


def test_channel_shuffle_is_permutation_inverted_by_other_groups():
    x = jax.random.normal(jax.random.key(0), (2, 3, 3, 12))
    # Shuffling with g groups of c/g channels is undone by shuffling with c/g groups.
    np.testing.assert_array_equal(channel_shuffle(channel_shuffle(x, 3), 4), x)


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match="10 channels"):
        channel_shuffle(jnp.zeros((1, 2, 2, 10)), 3)


def test_shift_directions_cover_kernel():
    directions = shift_directions(3)
    assert directions[0] == (0, 0)
    assert sorted(directions) == sorted((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def test_spatial_shift_moves_each_group_one_pixel():
    # One channel per direction; a single bright pixel in the middle of a 5x5 image.
    x = jnp.zeros((1, 5, 5, 9)).at[0, 2, 2, :].set(1.0)
    out = spatial_shift(x, 3)
    for channel, (dy, dx) in enumerate(shift_directions(3)):
        expected = np.zeros((5, 5))
        expected[2 + dy, 2 + dx] = 1.0
        np.testing.assert_array_equal(out[0, :, :, channel], expected)


def test_spatial_shift_fills_zeros_at_border():
    x = jnp.ones((1, 4, 4, 9))
    out = spatial_shift(x, 3)
    # Every shifted channel loses exactly one row and/or column of ones.
    for channel, (dy, dx) in enumerate(shift_directions(3)):
        kept = (4 - abs(dy)) * (4 - abs(dx))
        assert float(out[0, :, :, channel].sum()) == kept


def test_spatial_shift_remainder_joins_centre_group():
    x = jax.random.normal(jax.random.key(1), (1, 4, 4, 11))
    out = spatial_shift(x, 3)
    # 11 = 9 * 1 + 2, so the first 3 channels (centre group) stay in place.
    np.testing.assert_array_equal(out[..., :3], x[..., :3])
    assert out.shape == x.shape


def test_spatial_shift_is_linear_and_differentiable():
    x = jax.random.normal(jax.random.key(2), (2, 4, 4, 9))
    grad = jax.grad(lambda v: jnp.sum(spatial_shift(v) ** 2))(x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(spatial_shift(2.0 * x), 2.0 * spatial_shift(x))


def test_spatial_shift_rejects_even_kernel():
    with pytest.raises(ValueError, match="odd"):
        spatial_shift(jnp.zeros((1, 4, 4, 8)), 2)


def test_convbn_same_padding_and_stride():
    layer = ConvBN(3, 8, 3, stride=2, rngs=nnx.Rngs(0))
    assert layer(jnp.ones((2, 9, 9, 3))).shape == (2, 5, 5, 8)
    assert ConvBN(4, 4, (3, 1), rngs=nnx.Rngs(0))(jnp.ones((1, 6, 6, 4))).shape == (1, 6, 6, 4)


def test_convbn_rejects_bad_groups_and_activation():
    with pytest.raises(ValueError, match="groups"):
        ConvBN(6, 8, 1, groups=4, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="unknown activation"):
        ConvBN(4, 4, 1, activation="gelu", rngs=nnx.Rngs(0))
