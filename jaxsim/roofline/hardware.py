"""Accelerator specifications for roofline models: a pytree per chip and a sourced table.

A :class:`Hardware` contains the per-chip numbers a roofline model needs: dense peak FLOP/s for
16-bit matrix math, memory bandwidth and capacity, and the interconnect bandwidth and latency
used by the all-reduce model. Every number is a pytree leaf, so ``jax.grad`` gives the
sensitivity of a runtime to each specification and ``jax.vmap`` sweeps hypothetical chips;
the name is a static field.

Conventions of the table:

- ``peak_flops`` is the dense (not 2:4 sparse) bf16/fp16 tensor-core or MXU peak.
- ``memory_capacity`` is in bytes. NVIDIA datasheets write "GB" for capacities that the
  devices report in MiB (an A100 80GB reports 81920 MiB), so those entries read the datasheet
  figure as GiB. The Google Cloud TPU pages give v4 in GiB and v5e as "16 GB", also read as GiB.
- ``interconnect_bandwidth`` is per chip and per direction, the rate one chip can send while it
  receives at the same rate, which is what a ring all-reduce step uses. NVIDIA quotes NVLink
  bandwidth as the bidirectional total, so the table halves it. For TPUs the table divides the
  published all-reduce bandwidth per pod by the chips per pod.
- ``interconnect_latency`` is the per-step latency of a collective. No datasheet gives it, so
  the table entries are estimates, and the runtime model fits a factor on it
  (``Efficiency.latency_scale``).

Sources, as named in :data:`HARDWARE_SOURCES`:

- NVIDIA A100 Tensor Core GPU datasheet (2021): 312 TFLOP/s dense bf16; 40 GB HBM2 at
  1555 GB/s and 80 GB HBM2e at 2039 GB/s (SXM); NVLink 600 GB/s; max TDP 400 W.
- NVIDIA H100 Tensor Core GPU datasheet (2023): H100 SXM 1979 TFLOP/s bf16 "with sparsity",
  so 989 TFLOP/s dense; 80 GB at 3.35 TB/s; NVLink 900 GB/s; max TDP 700 W.
- NVIDIA H200 Tensor Core GPU datasheet (2024): same compute as H100 SXM; 141 GB HBM3e at
  4.8 TB/s; NVLink 900 GB/s; max TDP 700 W.
- Google Cloud TPU documentation, "TPU v4" page: 275 TFLOP/s bf16, 32 GiB HBM2 at 1200 GB/s,
  measured mean power 170 W, all-reduce bandwidth 1.1 PB/s per 4096-chip pod. (Some summaries
  quote 1228 GB/s; the table keeps Google's 1200 GB/s.)
- Google Cloud TPU documentation, "TPU v5e" page: 197 TFLOP/s bf16, 16 GB HBM2 at 819 GB/s,
  all-reduce bandwidth 51.2 TB/s per 256-chip pod.
"""

from __future__ import annotations

import functools
import math
import os

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxsim.core.timing import time_jitted

__all__ = [
    "Hardware",
    "HARDWARE_SOURCES",
    "get_hardware",
    "register_hardware",
    "unregister_hardware",
    "known_hardware",
    "hardware_sources",
    "measure_cpu",
    "stack_hardware",
]

_GIB = 2.0**30
_REQUIRED_POSITIVE = (
    "peak_flops",
    "memory_bandwidth",
    "memory_capacity",
    "interconnect_bandwidth",
    "interconnect_latency",
)


def _concrete(value: ArrayLike) -> np.ndarray | None:
    """Return ``value`` as a NumPy array, or None while it is traced."""
    try:
        return np.asarray(value, dtype=float)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
        return None


class Hardware(eqx.Module):
    """Per-chip specifications of one accelerator, in SI units.

    Attributes:
        name: identifier, a static field (e.g. ``"a100-80gb"``).
        peak_flops: dense peak FLOP/s at the working precision (bf16/fp16 for accelerators).
        memory_bandwidth: main-memory (HBM or DRAM) bandwidth in bytes/s.
        memory_capacity: main-memory capacity in bytes.
        interconnect_bandwidth: chip-to-chip bandwidth per direction in bytes/s.
        interconnect_latency: latency of one collective step in seconds.
        power_w: power draw in watts used for energy estimates; NaN when unknown.
        price_per_hour: price of one chip-hour in US dollars; NaN when unknown.

    Raises:
        ValueError: at construction, if a concrete required field is not finite and positive,
            or ``power_w`` / ``price_per_hour`` is negative.
    """

    name: str = eqx.field(static=True)
    peak_flops: Float[ArrayLike, "..."]
    memory_bandwidth: Float[ArrayLike, "..."]
    memory_capacity: Float[ArrayLike, "..."]
    interconnect_bandwidth: Float[ArrayLike, "..."]
    interconnect_latency: Float[ArrayLike, "..."]
    power_w: Float[ArrayLike, "..."] = math.nan
    price_per_hour: Float[ArrayLike, "..."] = math.nan

    def __check_init__(self):
        for field in _REQUIRED_POSITIVE:
            value = _concrete(getattr(self, field))
            if value is not None and not (np.all(np.isfinite(value)) and np.all(value > 0)):
                raise ValueError(
                    f"Hardware {self.name!r} needs a finite positive {field}, got {getattr(self, field)}; "
                    "give it in SI units (FLOP/s, bytes/s, bytes, seconds)."
                )
        for field in ("power_w", "price_per_hour"):
            value = _concrete(getattr(self, field))
            if value is not None and np.any(value < 0):
                raise ValueError(
                    f"Hardware {self.name!r} has a negative {field}={getattr(self, field)}; use NaN for unknown."
                )

    def ridge_point(self) -> Float[Array, "..."]:
        """Return the arithmetic intensity ``peak_flops / memory_bandwidth`` in FLOP/byte."""
        return jnp.asarray(self.peak_flops) / jnp.asarray(self.memory_bandwidth)


def _nvidia(name, peak_tflops, bandwidth_gbs, capacity_gib, nvlink_bidirectional_gbs, power_w):
    return Hardware(
        name=name,
        peak_flops=peak_tflops * 1e12,
        memory_bandwidth=bandwidth_gbs * 1e9,
        memory_capacity=capacity_gib * _GIB,
        interconnect_bandwidth=nvlink_bidirectional_gbs * 1e9 / 2,
        # NOTE: estimate of one NCCL ring step over NVLink; no datasheet gives it.
        interconnect_latency=5e-6,
        power_w=power_w,
    )


def _tpu(name, peak_tflops, bandwidth_gbs, capacity_gib, allreduce_pod_bytes_per_s, pod_chips, power_w):
    return Hardware(
        name=name,
        peak_flops=peak_tflops * 1e12,
        memory_bandwidth=bandwidth_gbs * 1e9,
        memory_capacity=capacity_gib * _GIB,
        interconnect_bandwidth=allreduce_pod_bytes_per_s / pod_chips,
        # NOTE: estimate of one ICI collective step; no datasheet gives it.
        interconnect_latency=2e-6,
        power_w=power_w,
    )


_NVIDIA_A100 = "NVIDIA A100 Tensor Core GPU datasheet (2021), SXM column"
_NVIDIA_H100 = "NVIDIA H100 Tensor Core GPU datasheet (2023), H100 SXM column; bf16 1979 TFLOP/s with sparsity halved"
_NVIDIA_H200 = "NVIDIA H200 Tensor Core GPU datasheet (2024), H200 SXM column; bf16 1979 TFLOP/s with sparsity halved"
_TPU_V4 = "Google Cloud TPU documentation, TPU v4 system architecture (cloud.google.com/tpu/docs/v4)"
_TPU_V5E = "Google Cloud TPU documentation, TPU v5e system architecture (cloud.google.com/tpu/docs/v5e)"
_LATENCY_ESTIMATE = "estimate, not from a datasheet; fit it where collectives matter"

_BUILTIN: dict[str, tuple[Hardware, dict[str, str]]] = {
    "a100-40gb": (
        _nvidia("a100-40gb", 312.0, 1555.0, 40.0, 600.0, 400.0),
        {"compute": _NVIDIA_A100, "memory": _NVIDIA_A100, "interconnect": _NVIDIA_A100 + ", NVLink 600 GB/s",
         "latency": _LATENCY_ESTIMATE, "power": _NVIDIA_A100 + ", max TDP"},
    ),
    "a100-80gb": (
        _nvidia("a100-80gb", 312.0, 2039.0, 80.0, 600.0, 400.0),
        {"compute": _NVIDIA_A100, "memory": _NVIDIA_A100, "interconnect": _NVIDIA_A100 + ", NVLink 600 GB/s",
         "latency": _LATENCY_ESTIMATE, "power": _NVIDIA_A100 + ", max TDP"},
    ),
    "h100-sxm": (
        _nvidia("h100-sxm", 989.0, 3350.0, 80.0, 900.0, 700.0),
        {"compute": _NVIDIA_H100, "memory": _NVIDIA_H100, "interconnect": _NVIDIA_H100 + ", NVLink 900 GB/s",
         "latency": _LATENCY_ESTIMATE, "power": _NVIDIA_H100 + ", max TDP"},
    ),
    "h200": (
        _nvidia("h200", 989.0, 4800.0, 141.0, 900.0, 700.0),
        {"compute": _NVIDIA_H200, "memory": _NVIDIA_H200, "interconnect": _NVIDIA_H200 + ", NVLink 900 GB/s",
         "latency": _LATENCY_ESTIMATE, "power": _NVIDIA_H200 + ", max TDP"},
    ),
    "tpu-v4": (
        _tpu("tpu-v4", 275.0, 1200.0, 32.0, 1.1e15, 4096, 170.0),
        {"compute": _TPU_V4, "memory": _TPU_V4, "interconnect": _TPU_V4 + ", all-reduce 1.1 PB/s per 4096 chips",
         "latency": _LATENCY_ESTIMATE, "power": _TPU_V4 + ", measured mean power"},
    ),
    "tpu-v5e": (
        _tpu("tpu-v5e", 197.0, 819.0, 16.0, 51.2e12, 256, math.nan),
        {"compute": _TPU_V5E, "memory": _TPU_V5E, "interconnect": _TPU_V5E + ", all-reduce 51.2 TB/s per 256 chips",
         "latency": _LATENCY_ESTIMATE, "power": "unknown"},
    ),
}

_USER: dict[str, tuple[Hardware, dict[str, str]]] = {}

#: Source of each number in the built-in table, keyed by hardware name then by quantity.
HARDWARE_SOURCES: dict[str, dict[str, str]] = {name: sources for name, (_, sources) in _BUILTIN.items()}


def known_hardware() -> list[str]:
    """Return the sorted names :func:`get_hardware` accepts, ``"cpu"`` and user entries included."""
    return sorted({*_BUILTIN, *_USER, "cpu"})


def get_hardware(name: str) -> Hardware:
    """Return the table entry ``name``; ``"cpu"`` measures the running machine once and caches it.

    Raises:
        ValueError: if ``name`` is unknown; the message lists the known names.
    """
    key = name.lower()
    if key in _USER:
        return _USER[key][0]
    if key in _BUILTIN:
        return _BUILTIN[key][0]
    if key == "cpu":
        return _cached_cpu()
    raise ValueError(
        f"unknown hardware {name!r}; known hardware: {', '.join(known_hardware())}. "
        "Add your own with register_hardware(Hardware(...))."
    )


def hardware_sources(name: str) -> dict[str, str]:
    """Return the source of each number of the entry ``name``.

    Raises:
        ValueError: if ``name`` is unknown.
    """
    key = name.lower()
    if key in _USER:
        return dict(_USER[key][1])
    if key in _BUILTIN:
        return dict(_BUILTIN[key][1])
    if key == "cpu":
        return {"all": "measured on the running machine by measure_cpu()"}
    raise ValueError(f"unknown hardware {name!r}; known hardware: {', '.join(known_hardware())}.")


def register_hardware(hardware: Hardware, *, sources: dict[str, str] | None = None, overwrite: bool = False) -> None:
    """Add a user entry that :func:`get_hardware` returns under ``hardware.name``.

    User entries take precedence over the built-in table only with ``overwrite=True``.

    Raises:
        ValueError: if the name is taken and ``overwrite`` is False, or the name is empty.
    """
    if not isinstance(hardware, Hardware):
        raise ValueError(f"register_hardware needs a Hardware, got {type(hardware).__name__}.")
    key = hardware.name.lower()
    if not key:
        raise ValueError("register_hardware needs a non-empty hardware name.")
    if not overwrite and (key in _USER or key in _BUILTIN or key == "cpu"):
        raise ValueError(f"hardware {hardware.name!r} is already known; pass overwrite=True to replace it.")
    _USER[key] = (hardware, dict(sources or {"all": "user entry"}))


def unregister_hardware(name: str) -> None:
    """Remove the user entry ``name``; built-in entries cannot be removed.

    Raises:
        ValueError: if there is no user entry ``name``.
    """
    key = name.lower()
    if key not in _USER:
        raise ValueError(f"no user hardware entry {name!r}; user entries: {sorted(_USER) or 'none'}.")
    del _USER[key]


def stack_hardware(entries: list[Hardware], name: str | None = None) -> Hardware:
    """Stack several entries into one :class:`Hardware` with a leading axis, for ``jax.vmap``.

    Raises:
        ValueError: for an empty list.
    """
    if not entries:
        raise ValueError("stack_hardware needs at least one Hardware entry.")
    name = name or "+".join(entry.name for entry in entries)
    fields = {}
    for field in (*_REQUIRED_POSITIVE, "power_w", "price_per_hour"):
        fields[field] = jnp.stack([jnp.asarray(getattr(entry, field), dtype=float) for entry in entries])
    return Hardware(name=name, **fields)


def _matmul(a, b):
    return a @ b


def _stream_scale(x):
    return x * 1.5


def measure_cpu(*, matrix_size: int = 1024, copy_mib: int = 128, repeats: int = 5) -> Hardware:
    """Build a ``"cpu"`` entry by measuring this machine with :func:`jaxsim.core.timing.time_jitted`.

    ``peak_flops`` is the best float32 matmul rate, ``2 n^3 / t``, over ``repeats`` calls of an
    ``n x n`` product. ``memory_bandwidth`` is the best rate of a scaling kernel ``y = 1.5 x``
    over a float32 array of ``copy_mib`` MiB, counting one read and one write per element. These
    are achieved rates, not peaks; on a loaded machine they are lower. ``memory_capacity`` is the
    physical memory reported by the operating system. The interconnect between CPU "chips" is
    modelled as the same memory, so it takes the measured bandwidth and a 1 microsecond latency
    (an estimate).

    Args:
        matrix_size: ``n`` of the timed matmul; 1024 keeps one call near 0.1 s on one core.
        copy_mib: size of the streamed array in MiB; larger than the caches to measure DRAM.
        repeats: timed calls per kernel.

    Raises:
        ValueError: for non-positive sizes or repeats.
    """
    for label, value in (("matrix_size", matrix_size), ("copy_mib", copy_mib), ("repeats", repeats)):
        if value < 1:
            raise ValueError(f"measure_cpu needs {label} >= 1, got {value}.")
    key_a, key_b = jax.random.split(jax.random.key(0))
    a = jax.random.normal(key_a, (matrix_size, matrix_size), dtype=jnp.float32)
    b = jax.random.normal(key_b, (matrix_size, matrix_size), dtype=jnp.float32)
    matmul = time_jitted(_matmul, a, b, warmup=1, repeats=repeats)
    flops = 2.0 * matrix_size**3 / matmul.min_s

    n_elements = copy_mib * 2**20 // 4
    x = jnp.ones((n_elements,), dtype=jnp.float32)
    stream = time_jitted(_stream_scale, x, warmup=1, repeats=repeats)
    bandwidth = 2.0 * 4 * n_elements / stream.min_s
    del a, b, x

    capacity = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    return Hardware(
        name="cpu",
        peak_flops=flops,
        memory_bandwidth=bandwidth,
        memory_capacity=capacity,
        interconnect_bandwidth=bandwidth,
        interconnect_latency=1e-6,
    )


@functools.cache
def _cached_cpu() -> Hardware:
    return measure_cpu()
