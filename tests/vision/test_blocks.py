"""Tests of the blocks: output shapes, closed-form parameter and MAC counts, jit/vmap/grad."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from jaxsim.vision.blocks import Fire, InvertedResidual, ShiftConv, Skip, SqueezeExcitation, SqueezeNextBlock
from jaxsim.vision.counting import count_macs, count_params


def _x(shape, seed=0):
    return jax.random.normal(jax.random.key(seed), shape)


def test_fire_shape_and_counts():
    block = Fire(96, 16, 64, 64, rngs=nnx.Rngs(0))
    assert block(_x((2, 13, 13, 96))).shape == (2, 13, 13, 128)
    # Weights plus biases of the three convolutions.
    expected = (96 * 16 + 16) + (16 * 64 + 64) + (9 * 16 * 64 + 64)
    assert count_params(block) == expected
    assert count_macs(block, (1, 13, 13, 96)) == 13 * 13 * (96 * 16 + 16 * 64 + 9 * 16 * 64)


def test_squeezenext_shape_and_counts():
    block = SqueezeNextBlock(32, 64, stride=2, rngs=nnx.Rngs(0))
    assert block(_x((2, 8, 8, 32))).shape == (2, 4, 4, 64)
    convs = 32 * 32 + 32 * 16 + 3 * 16 * 32 + 3 * 32 * 32 + 32 * 64 + 32 * 64
    assert count_params(block) == convs
    identity = SqueezeNextBlock(64, 64, rngs=nnx.Rngs(0))
    assert identity.shortcut is None


def test_squeezenext_rejects_channels_not_divisible_by_four():
    with pytest.raises(ValueError, match="divisible by 4"):
        SqueezeNextBlock(8, 10, rngs=nnx.Rngs(0))


def test_shiftconv_counts_exclude_shift():
    block = ShiftConv(18, 18, expansion=2, rngs=nnx.Rngs(0))
    assert block(_x((1, 6, 6, 18))).shape == (1, 6, 6, 18)
    assert count_params(block) == 18 * 36 + 36 * 18
    assert count_macs(block, (1, 6, 6, 18)) == 36 * (18 * 36 + 36 * 18)


@pytest.mark.parametrize("kernel,expansion,groups", [(3, 1, 1), (5, 6, 1), (3, 3, 1), (5, 1, 2), (3, 1, 2)])
def test_inverted_residual_counts(kernel, expansion, groups):
    cin, cout, size = 16, 24, 8
    block = InvertedResidual(cin, cout, kernel_size=kernel, expansion=expansion, stride=2, groups=groups, rngs=nnx.Rngs(0))
    hidden = cin * expansion
    weights = (cin * hidden + hidden * cout) // groups + kernel * kernel * hidden
    assert count_params(block) == weights
    out = size // 2
    macs = size * size * cin * hidden // groups + out * out * (kernel * kernel * hidden + hidden * cout // groups)
    assert count_macs(block, (1, size, size, cin)) == macs
    assert block(_x((2, size, size, cin))).shape == (2, out, out, cout)


def test_inverted_residual_without_expansion_conv():
    block = InvertedResidual(16, 16, expansion=1, expand_when_one=False, rngs=nnx.Rngs(0))
    assert block.expand is None
    assert count_params(block) == 9 * 16 + 16 * 16


def test_inverted_residual_residual_only_when_shapes_agree():
    assert InvertedResidual(16, 16, rngs=nnx.Rngs(0)).residual
    assert not InvertedResidual(16, 16, stride=2, rngs=nnx.Rngs(0)).residual
    assert not InvertedResidual(16, 24, rngs=nnx.Rngs(0)).residual


def test_inverted_residual_with_zero_projection_is_identity():
    block = InvertedResidual(8, 8, expansion=3, se=True, rngs=nnx.Rngs(0))
    block.project.norm.scale[...] = jnp.zeros(8)
    block.eval()
    x = _x((2, 5, 5, 8))
    np.testing.assert_allclose(block(x), x, atol=1e-6)


def test_inverted_residual_rejects_bad_groups_and_kernel():
    with pytest.raises(ValueError, match="18 channels"):
        InvertedResidual(16, 18, expansion=1, groups=4, rngs=nnx.Rngs(0))
    with pytest.raises(ValueError, match="odd"):
        InvertedResidual(16, 16, kernel_size=4, rngs=nnx.Rngs(0))


def test_squeeze_excitation_scales_channels_in_unit_interval():
    block = SqueezeExcitation(8, rngs=nnx.Rngs(0))
    x = jnp.abs(_x((1, 4, 4, 8))) + 0.1
    ratio = block(x) / x
    assert bool(jnp.all((ratio > 0) & (ratio < 1)))
    # The ratio is one number per channel.
    np.testing.assert_allclose(ratio, jnp.broadcast_to(ratio[:, :1, :1, :], ratio.shape), rtol=1e-5)


def test_skip_identity_or_projection():
    assert Skip(8, 8, rngs=nnx.Rngs(0)).projection is None
    x = _x((1, 4, 4, 8))
    np.testing.assert_array_equal(Skip(8, 8, rngs=nnx.Rngs(0))(x), x)
    assert Skip(8, 16, stride=2, rngs=nnx.Rngs(0))(x).shape == (1, 2, 2, 16)


def test_blocks_under_jit_vmap_and_grad():
    block = InvertedResidual(8, 8, kernel_size=5, expansion=3, groups=2, rngs=nnx.Rngs(0))
    block.eval()
    graphdef, state = nnx.split(block)

    def apply(state, x):
        return nnx.merge(graphdef, state)(x)

    x = _x((3, 6, 6, 8))
    eager = apply(state, x)
    np.testing.assert_allclose(jax.jit(apply)(state, x), eager, rtol=1e-5, atol=1e-5)
    # vmap over a leading axis of single-image batches equals the batched call.
    mapped = jax.vmap(lambda xi: apply(state, xi[None])[0])(x)
    np.testing.assert_allclose(mapped, eager, rtol=1e-5, atol=1e-5)
    grads = jax.grad(lambda s: jnp.sum(apply(s, x) ** 2))(state)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))


def test_convolution_gradient_matches_finite_differences(x64):
    block = InvertedResidual(4, 4, kernel_size=3, expansion=2, rngs=nnx.Rngs(0))
    block.eval()
    graphdef, state = nnx.split(block)
    state = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), state)
    x = jax.random.normal(jax.random.key(3), (1, 4, 4, 4), jnp.float64)

    def loss(x):
        return jnp.sum(jnp.tanh(nnx.merge(graphdef, state)(x)))

    grad = jax.grad(loss)(x)
    direction = jax.random.normal(jax.random.key(4), x.shape, jnp.float64)
    h = 1e-6
    # Central differences have error O(h^2) ~ 1e-12 here, far below the 1e-7 tolerance.
    numeric = (loss(x + h * direction) - loss(x - h * direction)) / (2 * h)
    np.testing.assert_allclose(jnp.vdot(grad, direction), numeric, rtol=1e-7)
