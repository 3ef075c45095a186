import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.roofline import (
    HARDWARE_SOURCES,
    Hardware,
    get_hardware,
    hardware_sources,
    known_hardware,
    measure_cpu,
    register_hardware,
    stack_hardware,
    unregister_hardware,
)

GIB = 2.0**30

# Datasheet values: dense bf16 peak (FLOP/s), memory bandwidth (B/s), capacity (bytes).
DATASHEET = {
    "a100-40gb": (312e12, 1555e9, 40 * GIB),
    "a100-80gb": (312e12, 2039e9, 80 * GIB),
    "h100-sxm": (989e12, 3350e9, 80 * GIB),
    "h200": (989e12, 4800e9, 141 * GIB),
    "tpu-v4": (275e12, 1200e9, 32 * GIB),
    "tpu-v5e": (197e12, 819e9, 16 * GIB),
}


@pytest.mark.parametrize("name", sorted(DATASHEET))
def test_table_matches_datasheets(name):
    hardware = get_hardware(name)
    peak, bandwidth, capacity = DATASHEET[name]
    assert hardware.name == name
    assert hardware.peak_flops == pytest.approx(peak)
    assert hardware.memory_bandwidth == pytest.approx(bandwidth)
    assert hardware.memory_capacity == pytest.approx(capacity)
    assert hardware.interconnect_bandwidth > 0
    assert hardware.interconnect_latency > 0


def test_every_entry_names_its_sources():
    for name in DATASHEET:
        sources = hardware_sources(name)
        assert set(sources) >= {"compute", "memory", "interconnect", "latency"}
        assert all(text for text in sources.values())
    assert set(HARDWARE_SOURCES) == set(DATASHEET)


def test_nvlink_is_halved_to_one_direction():
    assert get_hardware("a100-80gb").interconnect_bandwidth == pytest.approx(300e9)
    assert get_hardware("h100-sxm").interconnect_bandwidth == pytest.approx(450e9)


def test_tpu_interconnect_from_pod_allreduce():
    assert get_hardware("tpu-v4").interconnect_bandwidth == pytest.approx(1.1e15 / 4096)
    assert get_hardware("tpu-v5e").interconnect_bandwidth == pytest.approx(51.2e12 / 256)


def test_lookup_is_case_insensitive():
    assert get_hardware("A100-80GB") is get_hardware("a100-80gb")


def test_unknown_hardware_lists_known_names():
    with pytest.raises(ValueError, match="unknown hardware 'b200'") as info:
        get_hardware("b200")
    for name in DATASHEET:
        assert name in str(info.value)
    assert "cpu" in str(info.value)
    with pytest.raises(ValueError, match="unknown hardware"):
        hardware_sources("b200")


def test_register_and_unregister_user_entry():
    custom = Hardware("my-chip", 100e12, 1e12, 24e9, 50e9, 1e-5, power_w=300.0, price_per_hour=2.0)
    register_hardware(custom, sources={"all": "lab measurement"})
    try:
        assert get_hardware("my-chip") is custom
        assert "my-chip" in known_hardware()
        assert hardware_sources("my-chip") == {"all": "lab measurement"}
        with pytest.raises(ValueError, match="already known"):
            register_hardware(custom)
    finally:
        unregister_hardware("my-chip")
    with pytest.raises(ValueError, match="unknown hardware"):
        get_hardware("my-chip")
    with pytest.raises(ValueError, match="no user hardware entry"):
        unregister_hardware("my-chip")


def test_register_cannot_shadow_builtin_silently():
    clone = Hardware("h200", 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="already known"):
        register_hardware(clone)


def test_register_rejects_non_hardware():
    with pytest.raises(ValueError, match="needs a Hardware"):
        register_hardware({"name": "x"})


@pytest.mark.parametrize(
    "field", ["peak_flops", "memory_bandwidth", "memory_capacity", "interconnect_bandwidth", "interconnect_latency"]
)
@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_hardware_rejects_bad_required_field(field, bad):
    values = dict(peak_flops=1e12, memory_bandwidth=1e11, memory_capacity=1e9,
                  interconnect_bandwidth=1e10, interconnect_latency=1e-6)
    values[field] = bad
    with pytest.raises(ValueError, match=field):
        Hardware("bad", **values)


def test_hardware_rejects_negative_price():
    with pytest.raises(ValueError, match="price_per_hour"):
        Hardware("bad", 1e12, 1e11, 1e9, 1e10, 1e-6, price_per_hour=-1.0)


def test_ridge_point_of_a100():
    assert float(get_hardware("a100-80gb").ridge_point()) == pytest.approx(312e12 / 2039e9, rel=1e-6)


def test_stack_hardware_vmaps_over_chips():
    names = ["a100-80gb", "h100-sxm", "tpu-v5e"]
    stacked = stack_hardware([get_hardware(n) for n in names])
    assert stacked.peak_flops.shape == (3,)
    ridges = jax.vmap(lambda hw: hw.ridge_point())(stacked)
    expected = [float(get_hardware(n).ridge_point()) for n in names]
    np.testing.assert_allclose(ridges, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="at least one"):
        stack_hardware([])


def test_hardware_is_differentiable_pytree():
    grad = jax.grad(lambda hw: hw.ridge_point())(get_hardware("a100-80gb"))
    # d(P / W)/dP = 1 / W; float32 carries about 7 digits.
    assert float(grad.peak_flops) == pytest.approx(1 / 2039e9, rel=1e-5)
    assert float(grad.memory_capacity) == 0.0


def test_measure_cpu_returns_positive_rates():
    cpu = measure_cpu(matrix_size=128, copy_mib=8, repeats=2)
    assert cpu.name == "cpu"
    for field in ("peak_flops", "memory_bandwidth", "memory_capacity"):
        value = float(getattr(cpu, field))
        assert np.isfinite(value)
        assert value > 0
    # A CPU core does more than 1e8 FLOP/s and less than 1e14; bounds that cannot hide a unit error.
    assert 1e8 < float(cpu.peak_flops) < 1e14
    assert 1e8 < float(cpu.memory_bandwidth) < 1e13


@pytest.mark.parametrize("kwargs", [{"matrix_size": 0}, {"copy_mib": 0}, {"repeats": 0}])
def test_measure_cpu_rejects_bad_sizes(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        measure_cpu(**kwargs)


def test_get_hardware_cpu_is_cached():
    assert get_hardware("cpu") is get_hardware("cpu")
    assert jnp.isfinite(get_hardware("cpu").peak_flops)
