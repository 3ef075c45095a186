"""Runtime of transformer inference on ``t`` chips: roofline per operation plus fitted overheads.

The time of one phase (a prefill or one decode step) with the counts of
:mod:`jaxsim.roofline.workload` is

    T_phase = L [ sum_ops roofline(F_op, B_op) + a * T_allreduce + c_layer ] + roofline(F_head, B_head) + c_step,

where ``roofline`` is :func:`jaxsim.roofline.model.roofline_time` with the achieved-efficiency
factors ``eta_c`` and ``eta_m``, ``a`` the all-reduces per block and ``c_layer`` / ``c_step``
fixed per-block and per-step overheads (kernel launches, framework and sampling code). A ring
all-reduce of ``M`` bytes over ``t`` chips takes

    T_allreduce = 2 (t - 1) alpha + 2 (t - 1) / t * M / (eta_n beta)

(Thakur, Rabenseifner and Gropp 2005, "Optimization of Collective Communication Operations in
MPICH", Int. J. High Perform. Comput. Appl. 19(1)), with per-step latency ``alpha`` and
per-direction bandwidth ``beta`` from the hardware. A request with ``p`` prompt tokens and ``o``
output tokens takes

    T(p, o) = c_request + T_prefill(p) + sum_{j=0}^{o-2} T_decode(p + j),

since the prefill produces the first output token. The decode sum is evaluated as the integral
of ``T_decode`` over ``[p - 1/2, p + o - 3/2]`` (the midpoint rule, exact for a step time that
is affine in the context) by 8-point Gauss-Legendre quadrature, so ``T`` is smooth in ``o``.
Efficiencies and overheads live in :class:`Efficiency`, a pytree the validation fits.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxsim.roofline.configs import TransformerConfig
from jaxsim.roofline.hardware import Hardware
from jaxsim.roofline.model import DEFAULT_TEMPERATURE, roofline_time
from jaxsim.roofline.workload import ModelDims, PhaseCost, check_fits_in_memory, decode_cost, prefill_cost

__all__ = [
    "Efficiency",
    "allreduce_time",
    "phase_time",
    "prefill_time",
    "decode_step_time",
    "request_time",
    "per_token_time",
    "decode_throughput",
]

_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(8)


class Efficiency(eqx.Module):
    """Achieved efficiencies and fixed overheads of one software stack; every field is a leaf.

    Attributes:
        compute: fraction ``eta_c`` of peak FLOP/s reached by matrix multiplies.
        memory: fraction ``eta_m`` of peak memory bandwidth reached.
        network: fraction ``eta_n`` of the interconnect bandwidth reached by all-reduces.
        latency_scale: factor on the hardware's collective latency ``alpha``. The table's
            latencies are estimates, so fits treat this factor as a parameter.
        layer_overhead_s: fixed seconds per transformer block per phase.
        step_overhead_s: fixed seconds per forward pass (prefill or decode step).
        request_overhead_s: fixed seconds per request.
    """

    compute: Float[ArrayLike, ""] = 1.0
    memory: Float[ArrayLike, ""] = 1.0
    network: Float[ArrayLike, ""] = 1.0
    latency_scale: Float[ArrayLike, ""] = 1.0
    layer_overhead_s: Float[ArrayLike, ""] = 0.0
    step_overhead_s: Float[ArrayLike, ""] = 0.0
    request_overhead_s: Float[ArrayLike, ""] = 0.0

    def __check_init__(self):
        for field in ("compute", "memory", "network", "latency_scale"):
            value = getattr(self, field)
            try:
                array = np.asarray(value, dtype=float)
            except Exception:  # traced under jit, vmap or grad: nothing to check
                continue
            if not (np.all(np.isfinite(array)) and np.all(array > 0)):
                raise ValueError(f"Efficiency.{field} must be finite and > 0, got {value}.")
        for field in ("layer_overhead_s", "step_overhead_s", "request_overhead_s"):
            value = getattr(self, field)
            try:
                array = np.asarray(value, dtype=float)
            except Exception:  # traced under jit, vmap or grad: nothing to check
                continue
            if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
                raise ValueError(f"Efficiency.{field} must be finite and >= 0 seconds, got {value}.")


def allreduce_time(
    message_bytes: Float[ArrayLike, "..."],
    n_chips: Float[ArrayLike, "..."],
    hardware: Hardware,
    *,
    network_efficiency: Float[ArrayLike, ""] = 1.0,
    latency_scale: Float[ArrayLike, ""] = 1.0,
) -> Float[Array, "..."]:
    """Return the ring all-reduce time ``2 (n-1) k alpha + 2 (n-1)/n M / (eta_n beta)``; 0 for one chip.

    ``k`` is ``latency_scale``, a correction to the estimated per-step latency ``alpha``.
    """
    n_chips = jnp.asarray(n_chips, dtype=float)
    steps = 2 * (n_chips - 1)
    bandwidth_term = steps / n_chips * jnp.asarray(message_bytes) / (
        jnp.asarray(network_efficiency) * hardware.interconnect_bandwidth
    )
    return steps * jnp.asarray(latency_scale) * hardware.interconnect_latency + bandwidth_term


def phase_time(
    cost: PhaseCost,
    hardware: Hardware,
    efficiency: Efficiency = Efficiency(),
    *,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return the seconds of one prefill or decode step described by ``cost`` (module docstring)."""

    def op_time(flops, bytes_moved):
        return roofline_time(
            flops,
            bytes_moved,
            hardware,
            compute_efficiency=efficiency.compute,
            memory_efficiency=efficiency.memory,
            temperature=temperature,
        )

    communication = cost.allreduces_per_layer * allreduce_time(
        cost.allreduce_bytes,
        cost.tensor_parallel,
        hardware,
        network_efficiency=efficiency.network,
        latency_scale=efficiency.latency_scale,
    )
    layer = jnp.sum(op_time(cost.layer_flops, cost.layer_bytes), axis=-1) + communication + efficiency.layer_overhead_s
    head = op_time(cost.head_flops, cost.head_bytes)
    return cost.n_layers * layer + head + efficiency.step_overhead_s


def prefill_time(
    model: TransformerConfig | ModelDims,
    hardware: Hardware,
    batch: Float[ArrayLike, ""],
    prompt_tokens: Float[ArrayLike, ""],
    efficiency: Efficiency = Efficiency(),
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return the seconds to process ``batch`` prompts and emit their first tokens (no request overhead)."""
    cost = prefill_cost(
        model, batch, prompt_tokens, tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element
    )
    return phase_time(cost, hardware, efficiency, temperature=temperature)


def decode_step_time(
    model: TransformerConfig | ModelDims,
    hardware: Hardware,
    batch: Float[ArrayLike, ""],
    context_tokens: Float[ArrayLike, ""],
    efficiency: Efficiency = Efficiency(),
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return the seconds of one decode step of ``batch`` sequences with ``context_tokens`` cached tokens."""
    cost = decode_cost(
        model, batch, context_tokens, tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element
    )
    return phase_time(cost, hardware, efficiency, temperature=temperature)


def request_time(
    model: TransformerConfig | ModelDims,
    hardware: Hardware,
    batch: Float[ArrayLike, ""],
    prompt_tokens: Float[ArrayLike, ""],
    output_tokens: Float[ArrayLike, ""],
    efficiency: Efficiency = Efficiency(),
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return the seconds to serve ``batch`` requests of ``p`` prompt and ``o >= 1`` output tokens together.

    ``T = c_request + T_prefill(p) + sum_{j=0}^{o-2} T_decode(p + j)``, the sum taken by
    quadrature (module docstring), so every size may be a real number.

    With a :class:`TransformerConfig` and concrete sizes and hardware, the request is also
    checked against the chip's memory (:func:`~jaxsim.roofline.workload.check_fits_in_memory`).

    Raises:
        ValueError: for a concrete ``output_tokens < 1``, other invalid sizes, or weights plus
            KV cache that exceed the chip's memory at this tensor-parallel degree.
    """
    try:
        too_few = bool(np.any(np.asarray(output_tokens, dtype=float) < 1))
    except Exception:  # traced: the caller is responsible
        too_few = False
    if too_few:
        raise ValueError(f"output_tokens must be >= 1 (the prefill emits the first token), got {output_tokens}.")
    if isinstance(model, TransformerConfig):
        _check_memory_if_concrete(model, hardware, batch, prompt_tokens, output_tokens, tensor_parallel, bytes_per_element)
    kwargs = dict(tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element, temperature=temperature)
    p = jnp.asarray(prompt_tokens, dtype=float)
    o = jnp.asarray(output_tokens, dtype=float)
    prefill = prefill_time(model, hardware, batch, p, efficiency, **kwargs)

    start = p - 0.5
    width = o - 1.0
    contexts = start + 0.5 * width * (jnp.asarray(_GAUSS_NODES) + 1.0)
    step_times = jnp.stack(
        [decode_step_time(model, hardware, batch, jnp.maximum(c, 0.0), efficiency, **kwargs) for c in contexts]
    )
    decode = 0.5 * width * jnp.sum(jnp.asarray(_GAUSS_WEIGHTS) * step_times)
    return efficiency.request_overhead_s + prefill + decode


def _check_memory_if_concrete(config, hardware, batch, prompt_tokens, output_tokens, tensor_parallel, bytes_per_element):
    try:
        batch = float(batch)
        tokens = float(prompt_tokens) + float(output_tokens)
        bytes_per_element = float(bytes_per_element)
        float(hardware.memory_capacity)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
        return  # traced under jit, vmap or grad: the caller checks memory beforehand
    check_fits_in_memory(
        config, hardware, batch, tokens,
        tensor_parallel=1 if tensor_parallel is None else tensor_parallel, bytes_per_element=bytes_per_element,
    )


def per_token_time(
    model: TransformerConfig | ModelDims,
    hardware: Hardware,
    batch: Float[ArrayLike, ""],
    prompt_tokens: Float[ArrayLike, ""],
    output_tokens: Float[ArrayLike, ""],
    efficiency: Efficiency = Efficiency(),
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return the mean decode-step seconds of a generation, the slope of ``T`` in ``o``.

    Evaluated at the middle of the generation, context ``p + (o - 2) / 2``, which equals the mean
    over the steps when the step time is affine in the context.
    """
    context = jnp.asarray(prompt_tokens, dtype=float) + (jnp.asarray(output_tokens, dtype=float) - 2.0) / 2.0
    return decode_step_time(
        model, hardware, batch, jnp.maximum(context, 0.0), efficiency,
        tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element, temperature=temperature,
    )


def decode_throughput(
    model: TransformerConfig | ModelDims,
    hardware: Hardware,
    batch: Float[ArrayLike, ""],
    context_tokens: Float[ArrayLike, ""],
    efficiency: Efficiency = Efficiency(),
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, ""]:
    """Return generated tokens per second of the whole group of ``t`` chips: ``batch / T_decode``."""
    step = decode_step_time(
        model, hardware, batch, context_tokens, efficiency,
        tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element, temperature=temperature,
    )
    return jnp.asarray(batch, dtype=float) / step
