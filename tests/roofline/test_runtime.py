import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.roofline import (
    Efficiency,
    Hardware,
    TransformerConfig,
    allreduce_time,
    decode_cost,
    decode_step_time,
    decode_throughput,
    get_hardware,
    get_model,
    per_token_time,
    prefill_cost,
    prefill_time,
    request_time,
)

A100 = get_hardware("a100-80gb")
LLAMA = get_model("llama-2-7b")
STACK = Efficiency(compute=0.6, memory=0.8, network=0.7, layer_overhead_s=1e-4, step_overhead_s=1e-3,
                   request_overhead_s=2e-3)


def test_phase_time_is_sum_of_exact_rooflines():
    cost = decode_cost(LLAMA, 4, 100)
    expected = 0.0
    for flops, bytes_moved in zip(np.asarray(cost.layer_flops), np.asarray(cost.layer_bytes)):
        expected += max(flops / (0.6 * 312e12), bytes_moved / (0.8 * 2039e9))
    expected = 32 * (expected + 1e-4)
    expected += max(float(cost.head_flops) / (0.6 * 312e12), float(cost.head_bytes) / (0.8 * 2039e9)) + 1e-3
    value = decode_step_time(LLAMA, A100, 4, 100, STACK, temperature=0.0)
    assert float(value) == pytest.approx(expected, rel=1e-5)


def test_decode_is_memory_bound_at_batch_one():
    # A step reads every bf16 weight but the input embedding, 13.2 GB, at 2039 GB/s: 6.5 ms; the
    # compute takes 0.04 ms. Activations add well under 1 %.
    weights_read = 2 * (LLAMA.n_layers * LLAMA.params_per_layer + LLAMA.vocab_size * LLAMA.d_model)
    ideal = decode_step_time(LLAMA, A100, 1, 0, temperature=0.0)
    assert float(ideal) == pytest.approx(weights_read / 2039e9, rel=0.01)


def test_prefill_of_long_prompt_is_compute_bound():
    ideal = prefill_time(LLAMA, A100, 1, 2048, temperature=0.0)
    flops = float(prefill_cost(LLAMA, 1, 2048).total_flops)
    assert float(ideal) == pytest.approx(flops / 312e12, rel=0.02)


def test_allreduce_time_ring_formula():
    message = 1e6
    value = allreduce_time(message, 8, A100, network_efficiency=0.5)
    expected = 14 * 5e-6 + 14 / 8 * message / (0.5 * 300e9)
    assert float(value) == pytest.approx(expected, rel=1e-6)
    assert float(allreduce_time(message, 1, A100)) == 0.0


def test_request_time_quadrature_matches_explicit_sum():
    prompt, output = 200, 50
    explicit = float(prefill_time(LLAMA, A100, 2, prompt, STACK)) + STACK.request_overhead_s
    step = jax.jit(lambda context: decode_step_time(LLAMA, A100, 2, context, STACK))
    explicit += sum(float(step(float(prompt + j))) for j in range(output - 1))
    value = float(request_time(LLAMA, A100, 2, prompt, output, STACK))
    # The decode step time is affine in the context except for the smooth maximum, so the midpoint
    # integral agrees with the sum far below 1e-4 relative; float32 sums limit the check to 1e-5.
    assert value == pytest.approx(explicit, rel=1e-4)


def test_request_that_does_not_fit_raises():
    with pytest.raises(ValueError, match="needs .* GiB per chip"):
        request_time(get_model("llama-2-70b"), A100, 1, 512, 128, STACK)


def test_request_time_with_one_output_token_is_prefill():
    value = request_time(LLAMA, A100, 1, 64, 1, STACK)
    expected = prefill_time(LLAMA, A100, 1, 64, STACK) + STACK.request_overhead_s
    assert float(value) == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="output_tokens must be >= 1"):
        request_time(LLAMA, A100, 1, 64, 0, STACK)


def test_per_token_time_is_mean_decode_step():
    output = 101
    total = request_time(LLAMA, A100, 1, 300, output, STACK) - request_time(LLAMA, A100, 1, 300, 1, STACK)
    mean_step = float(total) / (output - 1)
    # The step time is close to affine in the context, so the midpoint step is the mean to ~1e-4.
    assert float(per_token_time(LLAMA, A100, 1, 300, output, STACK)) == pytest.approx(mean_step, rel=1e-3)


def test_throughput_rises_with_batch():
    small = decode_throughput(LLAMA, A100, 1, 512, STACK)
    large = decode_throughput(LLAMA, A100, 32, 512, STACK)
    assert float(large) > 10 * float(small)


def test_gradients_match_finite_differences(x64):
    config = TransformerConfig("small", 4, 256, 8, 2, 512, True, "silu", 1000, False)

    def f(x):
        chip = Hardware("chip", x["peak"], x["bandwidth"], 1e10, x["link"], 1e-6)
        stack = Efficiency(compute=x["eta_c"], memory=x["eta_m"], network=0.7, layer_overhead_s=x["layer"],
                           step_overhead_s=1e-5, request_overhead_s=0.0)
        return request_time(config, chip, x["batch"], x["prompt"], x["output"], stack, tensor_parallel=2)

    x = {"peak": 1e12, "bandwidth": 5e10, "link": 1e10, "eta_c": 0.6, "eta_m": 0.8, "layer": 1e-5,
         "batch": 3.3, "prompt": 70.0, "output": 12.5}
    grads = jax.jit(jax.grad(f))(x)
    f = jax.jit(f)
    for name, value in x.items():
        # Central differences, relative step 1e-6: truncation ~1e-12 and rounding ~1e-10 relative
        # in float64, so 1e-6 relative leaves room for the smooth maximum's curvature.
        h = 1e-6 * abs(value)
        fd = (f(dict(x, **{name: value + h})) - f(dict(x, **{name: value - h}))) / (2 * h)
        assert float(grads[name]) == pytest.approx(float(fd), rel=1e-5, abs=1e-12), name


def test_jit_does_not_retrace_for_new_sizes():
    counter = TraceCounter(lambda b, p, o, e: request_time(LLAMA, A100, b, p, o, e))
    jitted = jax.jit(counter)
    jitted(1.0, 128.0, 20.0, STACK)
    jitted(7.5, 900.0, 3.0, Efficiency(compute=0.3, memory=0.5))
    assert counter.count == 1


@pytest.mark.slow
def test_vmap_over_batch_sizes_matches_loop():
    batches = jnp.array([1.0, 2.0, 8.0, 64.0])
    batched = jax.vmap(lambda b: decode_step_time(LLAMA, A100, b, 256.0, STACK))(batches)
    step = jax.jit(lambda b: decode_step_time(LLAMA, A100, b, 256.0, STACK))
    looped = [float(step(b)) for b in batches]
    np.testing.assert_allclose(batched, looped, rtol=1e-6)


@pytest.mark.parametrize("field, value", [("compute", 0.0), ("memory", -0.2), ("network", float("nan")),
                                          ("layer_overhead_s", -1e-3)])
def test_efficiency_rejects_bad_values(field, value):
    with pytest.raises(ValueError, match=field):
        Efficiency(**{field: value})
