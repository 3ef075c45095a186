"""Roofline models of accelerators and the idealized runtime of transformer inference.

- :mod:`~jaxsim.roofline.hardware`: sourced accelerator specifications and a measured CPU entry.
- :mod:`~jaxsim.roofline.model`: differentiable roofline time of one operation.
- :mod:`~jaxsim.roofline.configs`: public transformer configurations with sources.
- :mod:`~jaxsim.roofline.workload`: FLOPs and bytes of prefill and decode per chip.
- :mod:`~jaxsim.roofline.runtime`: phase and request times with fitted efficiencies.
- :mod:`~jaxsim.roofline.idealized`: the idealized runtime, its fitter and cost-aware variants.
- :mod:`~jaxsim.roofline.batch`: memory limits and the throughput-optimal batch.
- :mod:`~jaxsim.roofline.validation`: published measurements and the fits to them.
"""

from jaxsim.roofline.batch import OptimalBatch, max_batch_for_memory, minimum_tensor_parallel, optimal_batch
from jaxsim.roofline.configs import MODEL_CONFIGS, MODEL_SOURCES, TransformerConfig, get_model, known_models
from jaxsim.roofline.hardware import (
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
from jaxsim.roofline.idealized import (
    IdealizedRuntime,
    accelerator_seconds,
    energy_per_token,
    fit_idealized_runtime,
    idealized_runtime,
    interpolate_prompt_cost,
    price_per_token,
)
from jaxsim.roofline.model import (
    DEFAULT_TEMPERATURE,
    arithmetic_intensity,
    attainable_flops,
    is_compute_bound,
    log_space_max,
    ridge_point,
    roofline_terms,
    roofline_time,
)
from jaxsim.roofline.runtime import (
    Efficiency,
    allreduce_time,
    decode_step_time,
    decode_throughput,
    per_token_time,
    phase_time,
    prefill_time,
    request_time,
)
from jaxsim.roofline.workload import (
    OP_NAMES,
    PRECISION_BYTES,
    ModelDims,
    PhaseCost,
    check_fits_in_memory,
    check_parallelism,
    decode_cost,
    kv_cache_bytes_per_chip,
    model_dims,
    precision_bytes,
    prefill_cost,
    stack_dims,
    weight_bytes_per_chip,
)

__all__ = [
    "DEFAULT_TEMPERATURE",
    "HARDWARE_SOURCES",
    "MODEL_CONFIGS",
    "MODEL_SOURCES",
    "OP_NAMES",
    "PRECISION_BYTES",
    "Efficiency",
    "Hardware",
    "IdealizedRuntime",
    "ModelDims",
    "OptimalBatch",
    "PhaseCost",
    "TransformerConfig",
    "accelerator_seconds",
    "allreduce_time",
    "arithmetic_intensity",
    "attainable_flops",
    "check_fits_in_memory",
    "check_parallelism",
    "decode_cost",
    "decode_step_time",
    "decode_throughput",
    "energy_per_token",
    "fit_idealized_runtime",
    "get_hardware",
    "get_model",
    "hardware_sources",
    "idealized_runtime",
    "interpolate_prompt_cost",
    "is_compute_bound",
    "known_hardware",
    "known_models",
    "kv_cache_bytes_per_chip",
    "log_space_max",
    "max_batch_for_memory",
    "measure_cpu",
    "minimum_tensor_parallel",
    "model_dims",
    "optimal_batch",
    "per_token_time",
    "phase_time",
    "precision_bytes",
    "prefill_cost",
    "prefill_time",
    "price_per_token",
    "register_hardware",
    "request_time",
    "ridge_point",
    "roofline_terms",
    "roofline_time",
    "stack_dims",
    "stack_hardware",
    "unregister_hardware",
    "weight_bytes_per_chip",
]
