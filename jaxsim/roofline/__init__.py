"""Roofline models of accelerators and the idealized runtime of transformer inference.

- :mod:`~jaxsim.roofline.hardware`: sourced accelerator specifications and a measured CPU entry.
- :mod:`~jaxsim.roofline.model`: differentiable roofline time of one operation.
"""

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

__all__ = [
    "DEFAULT_TEMPERATURE",
    "HARDWARE_SOURCES",
    "Hardware",
    "arithmetic_intensity",
    "attainable_flops",
    "get_hardware",
    "hardware_sources",
    "is_compute_bound",
    "known_hardware",
    "log_space_max",
    "measure_cpu",
    "register_hardware",
    "ridge_point",
    "roofline_terms",
    "roofline_time",
    "stack_hardware",
    "unregister_hardware",
]
