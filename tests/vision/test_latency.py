"""Tests of the latency tables, the roofline estimate and the accuracy measures."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.roofline import Hardware
from jaxsim.vision.latency import (
    LatencyTable,
    block_costs,
    fit_affine_correction,
    latency_model_accuracy,
    measure_latency_table,
    roofline_latency_table,
)
from jaxsim.vision.search_space import QUICK_DIGITS_SPACE

TOY_CPU = Hardware(
    name="toy", peak_flops=1e10, memory_bandwidth=1e10, memory_capacity=1e9, interconnect_bandwidth=1e9, interconnect_latency=1e-6
)


def _table():
    return LatencyTable(("a", "b", "skip"), np.array([[10.0, 20.0, 0.0], [5.0, 7.0, 1.0]]), 100.0, 64)


def test_network_latency_is_sum_of_blocks():
    table = _table()
    assert table.network_us([1, 2]) == 100.0 + 20.0 + 1.0
    with pytest.raises(ValueError, match="one candidate index per layer"):
        table.network_us([0])


def test_expected_latency_matches_one_hot():
    table = _table()
    onehot = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert float(table.expected_us(onehot)) == pytest.approx(table.network_us([1, 2]))


def test_table_round_trips_through_json(tmp_path):
    table = _table()
    table.metadata = {"machine": "x"}
    table.save(tmp_path / "t.json")
    loaded = LatencyTable.load(tmp_path / "t.json")
    np.testing.assert_array_equal(loaded.layer_us, table.layer_us)
    assert loaded.metadata == {"machine": "x"}


def test_accuracy_measures():
    acc = latency_model_accuracy([100, 205, 330, 390], [100, 200, 300, 400])
    assert acc["within_10pct"] == 1.0
    assert acc["spearman"] == pytest.approx(1.0)
    acc = latency_model_accuracy([100, 300], [200, 150])
    assert acc["within_10pct"] == 0.0
    assert acc["spearman"] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match=">= 2"):
        latency_model_accuracy([1.0], [1.0])


def test_affine_correction_recovers_line():
    pred = np.array([1.0, 2.0, 3.0, 5.0])
    a, b = fit_affine_correction(pred, 2.0 * pred + 0.5)
    assert (a, b) == pytest.approx((2.0, 0.5))


def test_roofline_table_costs():
    flops, moved, _ = block_costs(QUICK_DIGITS_SPACE, 64)
    skip = QUICK_DIGITS_SPACE.candidates.index("skip")
    # Layer 0 keeps 8 channels at stride 1, so skip is the identity there.
    assert flops[0, skip] == 0
    assert moved[0, skip] == 0
    table = roofline_latency_table(QUICK_DIGITS_SPACE, TOY_CPU, batch_size=64, temperature=0.0)
    assert table.layer_us[0, skip] == 0.0
    expected = max(flops[0, 0], moved[0, 0]) / 1e10 * 1e6
    assert table.layer_us[0, 0] == pytest.approx(expected, rel=1e-5)
    # Wider expansion costs more.
    assert table.layer_us[1, 1] > table.layer_us[1, 0]


@pytest.mark.slow
def test_measured_table_has_shape_and_record():
    table = measure_latency_table(QUICK_DIGITS_SPACE, batch_size=16, rounds=1, per_round=2)
    assert table.layer_us.shape == (QUICK_DIGITS_SPACE.n_layers, QUICK_DIGITS_SPACE.n_candidates)
    assert np.all(table.layer_us >= 0)
    assert table.fixed_us > 0
    for key in ("jax", "loadavg", "platform", "dispatch_us"):
        assert key in table.metadata
