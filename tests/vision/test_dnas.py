"""Tests of the DNAS supernet: candidate equivalence with the real blocks, the loss and the schedule."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from helpers import TraceCounter

from jaxsim.vision.blocks import InvertedResidual
from jaxsim.vision.dnas import DNASConfig, MixedLayer, Supernet, gumbel_softmax, latency_loss, run_search, temperature_schedule
from jaxsim.vision.search_space import QUICK_DIGITS_SPACE, SearchSpace
from jaxsim.vision.spec import parse_block


def _copy_into_mixed(layer, row, block, cin, hidden, cout, groups, kernel, kmax):
    # Dense, block-diagonal copies of the grouped 1x1 kernels and a centred depthwise kernel.
    expand = np.zeros((cin, layer.hmax), np.float32)
    project = np.zeros((layer.hmax, cout), np.float32)
    k_e = np.asarray(block.expand.conv.kernel[...])[0, 0]
    k_p = np.asarray(block.project.conv.kernel[...])[0, 0]
    ci, hi, co = cin // groups, hidden // groups, cout // groups
    for j in range(groups):
        expand[j * ci : (j + 1) * ci, j * hi : (j + 1) * hi] = k_e[:, j * hi : (j + 1) * hi]
        project[j * hi : (j + 1) * hi, j * co : (j + 1) * co] = k_p[:, j * co : (j + 1) * co]
    dw = np.zeros((kmax, kmax, layer.hmax), np.float32)
    lo = (kmax - kernel) // 2
    dw[lo : lo + kernel, lo : lo + kernel, :hidden] = np.asarray(block.depthwise.conv.kernel[...])[:, :, 0, :]
    layer.w_expand[...] = layer.w_expand[...].at[row].set(expand)
    layer.w_project[...] = layer.w_project[...].at[row].set(project)
    layer.w_depthwise[...] = layer.w_depthwise[...].at[row].set(dw)


@pytest.mark.parametrize("stride", [1, 2])
def test_mixed_candidates_equal_real_blocks(stride):
    names = ("ir_k3_e1_g2", "ir_k5_e3", "skip")
    specs = tuple(parse_block(n) for n in names)
    cin = cout = 8
    layer = MixedLayer(names, specs, cin, cout, stride, rngs=nnx.Rngs(0))
    x = jax.random.normal(jax.random.key(1), (4, 6, 6, cin))
    blocks = []
    for row, (kernel, expansion, groups) in enumerate([(3, 1, 2), (5, 3, 1)]):
        block = InvertedResidual(cin, cout, kernel_size=kernel, expansion=expansion, stride=stride, groups=groups, rngs=nnx.Rngs(row + 5))
        _copy_into_mixed(layer, row, block, cin, cin * expansion, cout, groups, kernel, layer.kmax)
        blocks.append(block)
    stacked = layer.candidate_outputs(x)
    for row, block in enumerate(blocks):
        block.train()  # batch statistics, as in the supernet
        np.testing.assert_allclose(stacked[row], block(x), rtol=2e-4, atol=2e-4)
    # One-hot weights pick a single candidate.
    np.testing.assert_allclose(layer(x, jnp.array([0.0, 1.0, 0.0])), stacked[1], rtol=1e-6, atol=1e-6)
    if stride == 1:
        np.testing.assert_allclose(layer(x, jnp.array([0.0, 0.0, 1.0])), x, rtol=1e-6)


def test_gumbel_softmax_is_distribution_and_sharpens():
    logits = jnp.array([[1.0, 0.0, -1.0]] * 200)
    keys = jax.random.key(0)
    hot = gumbel_softmax(keys, logits, 5.0)
    cold = gumbel_softmax(keys, logits, 0.05)
    np.testing.assert_allclose(hot.sum(-1), 1.0, rtol=1e-6)
    assert float(cold.max(-1).mean()) > 0.95 > float(hot.max(-1).mean())
    # At low temperature the argmax frequencies follow softmax(logits).
    freq = np.bincount(np.asarray(cold.argmax(-1)), minlength=3) / 200
    np.testing.assert_allclose(freq, jax.nn.softmax(logits[0]), atol=0.1)


def test_latency_loss_formula_and_gradient():
    ce, lat = jnp.array(0.7), jnp.array(400.0)
    assert float(latency_loss(ce, lat, alpha=0.2, beta=0.6)) == pytest.approx(0.7 * 0.2 * np.log(400.0) ** 0.6, rel=1e-6)
    grad = jax.grad(lambda l: latency_loss(ce, l))(lat)
    assert float(grad) == pytest.approx(0.7 * 0.2 * 0.6 * np.log(400.0) ** -0.4 / 400.0, rel=1e-5)
    with pytest.raises(ValueError, match="microsecond"):
        latency_loss(ce, jnp.array(0.5))


def test_temperature_schedule_endpoints():
    assert temperature_schedule(0, 10, 5.0, 0.5) == pytest.approx(5.0)
    assert temperature_schedule(9, 10, 5.0, 0.5) == pytest.approx(0.5)
    assert temperature_schedule(0, 1, 5.0, 0.5) == pytest.approx(0.5)


def test_supernet_compiles_once():
    space = QUICK_DIGITS_SPACE
    net = Supernet(space, rngs=nnx.Rngs(0))
    graphdef, state = nnx.split(net)
    counter = TraceCounter(lambda s, x, w: nnx.merge(graphdef, s)(x, w))
    fn = jax.jit(counter)
    x = jnp.ones((8, 8, 8, 1))
    for seed in range(3):
        w = jax.nn.softmax(jax.random.normal(jax.random.key(seed), (space.n_layers, space.n_candidates)))
        assert fn(state, x, w).shape == (8, 10)
    assert counter.count == 1


def test_search_space_rejects_bad_input():
    with pytest.raises(ValueError, match="total stride"):
        SearchSpace(channels=(8, 8, 8, 8), strides=(2, 2, 2, 2), input_size=8)
    with pytest.raises(ValueError, match="divisible by 2"):
        SearchSpace(channels=(9,), strides=(1,), candidates=("ir_k3_e1_g2",))
    with pytest.raises(ValueError, match="not candidates"):
        QUICK_DIGITS_SPACE.indices(("ir_k5_e6", "skip", "skip"))


def test_run_search_rejects_zero_arch_passes():
    from jaxsim.vision.data import load_digits_splits
    from jaxsim.vision.latency import LatencyTable

    space = QUICK_DIGITS_SPACE
    table = LatencyTable(space.candidates, np.full((space.n_layers, space.n_candidates), 10.0), fixed_us=100.0, batch_size=64)
    with pytest.raises(ValueError, match="arch_passes"):
        run_search(space, load_digits_splits().train, table, config=DNASConfig(arch_passes=0))
