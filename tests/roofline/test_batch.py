import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import run_on_host_devices

from jaxsim.roofline import (
    Efficiency,
    decode_step_time,
    get_hardware,
    get_model,
    max_batch_for_memory,
    minimum_tensor_parallel,
    optimal_batch,
)

A100 = get_hardware("a100-80gb")
LLAMA = get_model("llama-2-7b")
STACK = Efficiency(compute=0.6, memory=0.8, network=0.7, layer_overhead_s=1e-4, step_overhead_s=1e-3)


def test_latency_bound_batch_meets_budget():
    result = optimal_batch(LLAMA, A100, 1024.0, 0.03, STACK)
    assert bool(result.feasible)
    assert not bool(result.memory_bound)
    # The Newton iteration solves log T = log budget to float32 resolution.
    assert float(result.step_time) == pytest.approx(0.03, rel=1e-4)
    assert float(result.throughput) == pytest.approx(float(result.batch) / 0.03, rel=1e-4)
    # A larger batch would break the budget.
    assert float(decode_step_time(LLAMA, A100, result.batch * 1.05, 1024.0, STACK)) > 0.03


def test_generous_budget_is_memory_bound():
    result = optimal_batch(LLAMA, A100, 1024.0, 10.0, STACK)
    assert bool(result.memory_bound)
    b_mem = float(max_batch_for_memory(LLAMA, A100, 1024.0))
    assert float(result.batch) == pytest.approx(b_mem, rel=1e-4)


def test_impossible_budget_is_flagged():
    result = optimal_batch(LLAMA, A100, 1024.0, 1e-4, STACK)
    assert not bool(result.feasible)
    assert float(result.batch) == pytest.approx(1.0)


def test_optimal_batch_vmaps_over_budgets():
    budgets = jnp.linspace(0.015, 0.05, 16)
    results = jax.jit(jax.vmap(lambda t: optimal_batch(LLAMA, A100, 1024.0, t, STACK)))(budgets)
    assert np.all(np.diff(np.asarray(results.batch)) > 0)
    np.testing.assert_allclose(results.step_time, budgets, rtol=1e-3)


def test_throughput_gradient_wrt_bandwidth_matches_finite_difference():
    def throughput(bandwidth):
        chip = A100.__class__(A100.name, A100.peak_flops, bandwidth, A100.memory_capacity,
                              A100.interconnect_bandwidth, A100.interconnect_latency)
        return optimal_batch(LLAMA, chip, 1024.0, 0.03, STACK).throughput

    bandwidth = 2.039e12
    grad = float(jax.jit(jax.grad(throughput))(bandwidth))
    f = jax.jit(throughput)
    # float32 throughput carries ~7 digits, so a 1 % step keeps the difference well above rounding;
    # the throughput is smooth in the bandwidth, so the central difference has ~1e-4 truncation.
    h = 0.01 * bandwidth
    fd = (float(f(bandwidth + h)) - float(f(bandwidth - h))) / (2 * h)
    assert grad > 0
    assert grad == pytest.approx(fd, rel=1e-2)


def test_minimum_tensor_parallel():
    assert minimum_tensor_parallel(LLAMA, A100) == 1
    assert minimum_tensor_parallel(get_model("llama-2-70b"), A100) == 4
    assert minimum_tensor_parallel(get_model("opt-175b"), A100, powers_of_two=True) == 8
    with pytest.raises(ValueError, match="headroom"):
        minimum_tensor_parallel(LLAMA, A100, headroom=0.0)


CODE = """
import json
import jax, jax.numpy as jnp
from jaxsim.core.ensemble import ensemble
from jaxsim.roofline import get_hardware, get_model, decode_step_time

config = get_model("llama-2-7b")
a100 = get_hardware("a100-80gb")
grid = jnp.stack(jnp.meshgrid(jnp.arange(1.0, 65.0), jnp.linspace(128.0, 4096.0, 64)), -1).reshape(-1, 2)
times = ensemble(lambda row: decode_step_time(config, a100, row[0], row[1]), grid)
print(json.dumps({"n": int(times.shape[0]), "times": [float(x) for x in times[::97]]}))
"""


def test_config_sweep_same_on_one_and_four_devices():
    one = run_on_host_devices(CODE, 1)
    four = run_on_host_devices(CODE, 4)
    assert one["n"] == 4096
    np.testing.assert_allclose(one["times"], four["times"], rtol=1e-6)
