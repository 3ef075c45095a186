"""Differentiable roofline time of one operation: compute time and memory time, smoothly maxed.

The roofline model (Williams, Waterman and Patterson 2009, "Roofline: an insightful visual
performance model for multicore architectures", Commun. ACM 52(4)) bounds the time of an
operation that performs ``F`` floating-point operations and moves ``B`` bytes to and from main
memory by

    t = max(t_compute, t_memory),  t_compute = F / (eta_c * P),  t_memory = B / (eta_m * W),

with peak FLOP/s ``P``, memory bandwidth ``W`` and achieved-efficiency factors ``eta_c`` and
``eta_m`` in (0, 1]. The operation is compute-bound when its arithmetic intensity ``F / B``
exceeds the ridge point ``eta_c P / (eta_m W)``.

The hard maximum has a kink at the ridge point, so this module replaces it by the smooth maximum
of :func:`jaxsim.core.smooth.smooth_max` taken over log times with a dimensionless temperature
``tau``:

    t = exp(smooth_max(log t_compute, log t_memory; tau)) = (t_compute^(1/tau) + t_memory^(1/tau))^tau,

which is the p-norm maximum with ``p = 1 / tau``. Working in log space makes the temperature a
relative tolerance, the same for a microsecond kernel and a minute-long prefill: the result lies
between ``max`` and ``2^tau * max`` (at most 3.5 % above at the default ``tau = 0.05``, with the
largest error exactly at the ridge point), and ``tau = 0`` gives the exact maximum.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxsim.core.smooth import smooth_max
from jaxsim.roofline.hardware import Hardware

__all__ = [
    "DEFAULT_TEMPERATURE",
    "log_space_max",
    "roofline_time",
    "roofline_terms",
    "arithmetic_intensity",
    "ridge_point",
    "attainable_flops",
    "is_compute_bound",
]

#: Default relative temperature of the log-space smooth maximum; the combined time lies at most
#: ``2 ** 0.05 - 1 = 3.5 %`` above the exact roofline time.
DEFAULT_TEMPERATURE = 0.05


def _check_nonnegative(name: str, value: ArrayLike) -> None:
    try:
        array = np.asarray(value, dtype=float)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
        return
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value}; remove NaN or inf before modelling.")
    if np.any(array < 0):
        raise ValueError(f"{name} must be >= 0, got min {array.min()}; counts of FLOPs and bytes are non-negative.")


def _check_positive(name: str, value: ArrayLike) -> None:
    try:
        array = np.asarray(value, dtype=float)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
        return
    if not (np.all(np.isfinite(array)) and np.all(array > 0)):
        raise ValueError(f"{name} must be finite and > 0, got {value}; efficiencies are fractions of peak in (0, 1].")


def _safe_log(x: Array) -> Array:
    # log(0) = -inf is the right value for a zero time, and the double where keeps the gradient
    # finite (zero) there instead of 0 * inf = NaN.
    positive = x > 0
    return jnp.where(positive, jnp.log(jnp.where(positive, x, 1.0)), -jnp.inf)


def log_space_max(
    *times: Float[ArrayLike, "..."], temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE
) -> Float[Array, "..."]:
    """Combine non-negative times by a smooth maximum of their logarithms.

    Computes ``exp(smooth_max(log t_1, ..., log t_k; tau))``, the p-norm maximum with
    ``p = 1 / tau``, which lies between ``max_i t_i`` and ``k ** tau * max_i t_i``. Zero times
    contribute nothing. ``tau = 0`` gives the exact maximum.

    Args:
        *times: arrays of equal or broadcastable shape, in any one unit.
        temperature: dimensionless ``tau >= 0``.

    Returns:
        The combined time, in the unit of ``times``; 0 where every time is 0.
    """
    if not times:
        raise ValueError("log_space_max needs at least one time.")
    stacked = jnp.stack(jnp.broadcast_arrays(*[jnp.asarray(t, dtype=float) for t in times]), axis=-1)
    return jnp.exp(smooth_max(_safe_log(stacked), temperature=temperature, axis=-1))


def roofline_terms(
    flops: Float[ArrayLike, "..."],
    bytes_moved: Float[ArrayLike, "..."],
    hardware: Hardware,
    *,
    compute_efficiency: Float[ArrayLike, "..."] = 1.0,
    memory_efficiency: Float[ArrayLike, "..."] = 1.0,
) -> tuple[Float[Array, "..."], Float[Array, "..."]]:
    """Return ``(t_compute, t_memory)`` in seconds: ``F / (eta_c P)`` and ``B / (eta_m W)``.

    Raises:
        ValueError: for concrete negative or non-finite counts, or non-positive efficiencies.
    """
    _check_nonnegative("flops", flops)
    _check_nonnegative("bytes_moved", bytes_moved)
    _check_positive("compute_efficiency", compute_efficiency)
    _check_positive("memory_efficiency", memory_efficiency)
    t_compute = jnp.asarray(flops) / (jnp.asarray(compute_efficiency) * hardware.peak_flops)
    t_memory = jnp.asarray(bytes_moved) / (jnp.asarray(memory_efficiency) * hardware.memory_bandwidth)
    return t_compute, t_memory


def roofline_time(
    flops: Float[ArrayLike, "..."],
    bytes_moved: Float[ArrayLike, "..."],
    hardware: Hardware,
    *,
    compute_efficiency: Float[ArrayLike, "..."] = 1.0,
    memory_efficiency: Float[ArrayLike, "..."] = 1.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, "..."]:
    """Compute the roofline time of operations on one chip, smooth in every argument.

    ``t = (t_c^(1/tau) + t_m^(1/tau))^tau`` with ``t_c = F / (eta_c P)`` and
    ``t_m = B / (eta_m W)`` (see the module docstring; Williams, Waterman and Patterson 2009).
    Differentiable with respect to the counts, the efficiencies, every field of ``hardware``
    and the temperature; works under ``jit`` and ``vmap`` (batch the counts, or the hardware
    built by :func:`~jaxsim.roofline.hardware.stack_hardware`).

    Args:
        flops: floating-point operations ``F`` per operation, any shape.
        bytes_moved: bytes ``B`` read and written in main memory, broadcastable with ``flops``.
        hardware: the chip; its ``peak_flops`` and ``memory_bandwidth`` are used.
        compute_efficiency: achieved fraction ``eta_c`` of peak FLOP/s.
        memory_efficiency: achieved fraction ``eta_m`` of peak bandwidth.
        temperature: relative smoothing ``tau >= 0``; 0 gives the exact ``max``.

    Returns:
        Time in seconds, with the broadcast shape of the inputs.

    Raises:
        ValueError: for concrete negative or non-finite counts, non-positive efficiencies or a
            negative temperature.
    """
    t_compute, t_memory = roofline_terms(
        flops, bytes_moved, hardware, compute_efficiency=compute_efficiency, memory_efficiency=memory_efficiency
    )
    return log_space_max(t_compute, t_memory, temperature=temperature)


def arithmetic_intensity(
    flops: Float[ArrayLike, "..."], bytes_moved: Float[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """Return the arithmetic intensity ``F / B`` in FLOP/byte.

    Raises:
        ValueError: for concrete negative counts or a concrete zero ``bytes_moved``.
    """
    _check_nonnegative("flops", flops)
    _check_nonnegative("bytes_moved", bytes_moved)
    try:
        zero_bytes = bool(np.any(np.asarray(bytes_moved, dtype=float) == 0))
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
        zero_bytes = False
    if zero_bytes:
        raise ValueError("arithmetic_intensity is undefined for bytes_moved = 0; the operation moves no data.")
    return jnp.asarray(flops) / jnp.asarray(bytes_moved)


def ridge_point(
    hardware: Hardware,
    *,
    compute_efficiency: Float[ArrayLike, "..."] = 1.0,
    memory_efficiency: Float[ArrayLike, "..."] = 1.0,
) -> Float[Array, "..."]:
    """Return the ridge point ``eta_c P / (eta_m W)`` in FLOP/byte.

    Operations with a higher arithmetic intensity are compute-bound, lower ones memory-bound.
    """
    _check_positive("compute_efficiency", compute_efficiency)
    _check_positive("memory_efficiency", memory_efficiency)
    return (jnp.asarray(compute_efficiency) * hardware.peak_flops) / (
        jnp.asarray(memory_efficiency) * hardware.memory_bandwidth
    )


def attainable_flops(
    intensity: Float[ArrayLike, "..."],
    hardware: Hardware,
    *,
    compute_efficiency: Float[ArrayLike, "..."] = 1.0,
    memory_efficiency: Float[ArrayLike, "..."] = 1.0,
    temperature: Float[ArrayLike, ""] = DEFAULT_TEMPERATURE,
) -> Float[Array, "..."]:
    """Return the attainable FLOP/s ``F / t`` at arithmetic intensity ``I = F / B``, the roofline curve.

    With ``tau = 0`` this is ``min(eta_c P, I eta_m W)``. For ``tau > 0`` it is ``F`` divided by
    :func:`roofline_time` of one FLOP at that intensity, so the curve and the times agree.

    Raises:
        ValueError: for a concrete non-positive or non-finite intensity.
    """
    _check_positive("intensity", intensity)
    intensity = jnp.asarray(intensity, dtype=float)
    seconds_per_flop = roofline_time(
        jnp.ones_like(intensity),
        1.0 / intensity,
        hardware,
        compute_efficiency=compute_efficiency,
        memory_efficiency=memory_efficiency,
        temperature=temperature,
    )
    return 1.0 / seconds_per_flop


def is_compute_bound(
    flops: Float[ArrayLike, "..."],
    bytes_moved: Float[ArrayLike, "..."],
    hardware: Hardware,
    *,
    compute_efficiency: Float[ArrayLike, "..."] = 1.0,
    memory_efficiency: Float[ArrayLike, "..."] = 1.0,
) -> Array:
    """Return whether the compute time is at least the memory time (boolean, not differentiable)."""
    t_compute, t_memory = roofline_terms(
        flops, bytes_moved, hardware, compute_efficiency=compute_efficiency, memory_efficiency=memory_efficiency
    )
    return t_compute >= t_memory
