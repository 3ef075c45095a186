"""Predict Llama 2 inference runtime on chips you do not have, then pick a batch size.

Run: PYTHONPATH=. python examples/roofline_inference.py   (about 20 s on a laptop CPU)
"""

import jax
import jax.numpy as jnp

from jaxsim.roofline import (
    Efficiency,
    Hardware,
    decode_step_time,
    get_hardware,
    get_model,
    minimum_tensor_parallel,
    optimal_batch,
    register_hardware,
    request_time,
    roofline_time,
)

# A stack with 70 % of peak FLOP/s, 85 % of peak bandwidth and small fixed overheads. Fit these to
# your own measurements with jaxsim.roofline.validation.fit_stack.
stack = Efficiency(compute=0.7, memory=0.85, network=0.6, layer_overhead_s=5e-5, step_overhead_s=5e-4,
                   request_overhead_s=2e-3)

# One roofline operation: a 4096 x 4096 bf16 matmul on 8 tokens is memory-bound on an H100.
h100 = get_hardware("h100-sxm")
flops, bytes_moved = 2 * 8 * 4096 * 4096, 2 * (4096 * 4096 + 2 * 8 * 4096)
print(f"matmul: {1e6 * float(roofline_time(flops, bytes_moved, h100)):.1f} us on H100")

# A request of 512 prompt and 128 output tokens for Llama 2 70B on each chip.
llama = get_model("llama-2-70b")
for name in ["a100-80gb", "h100-sxm", "h200", "tpu-v5e"]:
    chip = get_hardware(name)
    degree = minimum_tensor_parallel(llama, chip)
    seconds = request_time(llama, chip, 1, 512, 128, stack, tensor_parallel=degree)
    print(f"{name:10s} tensor_parallel={degree:2d}  request {float(seconds):.2f} s")

# A hypothetical chip: H200 compute with twice its bandwidth.
register_hardware(Hardware("h200-2x-hbm", 989e12, 9.6e12, 141 * 2**30, 450e9, 5e-6, power_w=1000.0),
                  overwrite=True)
fast = get_hardware("h200-2x-hbm")
print(f"hypothetical: {1e3 * float(decode_step_time(llama, fast, 1, 1024, stack, tensor_parallel=1)):.1f} ms/token")

# Throughput-optimal batch for Llama 2 7B under a 25 ms per-token budget, for 64 contexts at once.
small = get_model("llama-2-7b")
a100 = get_hardware("a100-80gb")
contexts = jnp.linspace(256.0, 8192.0, 64)
best = jax.jit(jax.vmap(lambda c: optimal_batch(small, a100, c, 0.025, stack)))(contexts)
for i in (0, 31, 63):
    print(f"context {int(contexts[i]):5d}: batch {float(best.batch[i]):6.1f}, "
          f"{float(best.throughput[i]):7.0f} tokens/s, memory-bound={bool(best.memory_bound[i])}")

# Sensitivity of the per-token time to each hardware number, by automatic differentiation.
grads = jax.grad(lambda chip: decode_step_time(small, chip, 8.0, 2048.0, stack))(a100)
print(f"d(step)/d(bandwidth) = {float(grads.memory_bandwidth):.3e} s per (byte/s)")
