"""Trace-time checks of physical inputs that raise a ``ValueError`` naming the value and the fix.

Each check runs when its argument is concrete (a Python number or a NumPy or JAX array outside
``jit``). Under ``jit``, ``vmap`` or ``grad`` the argument is a tracer and the check is skipped,
because the value is not known at trace time; batched callers then rely on the failure flags of
the solvers and on validating their inputs before tracing.
"""

from __future__ import annotations

import jax
import numpy as np
from jaxtyping import ArrayLike


def concrete(value: ArrayLike) -> np.ndarray | None:
    """Return ``value`` as a NumPy array, or None when it is a tracer."""
    if isinstance(value, jax.core.Tracer):
        return None
    try:
        return np.asarray(value, dtype=float)
    except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return None


def check_finite(name: str, value: ArrayLike) -> None:
    array = concrete(value)
    if array is not None and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got {value!r}; replace NaN or inf with a measured value.")


def check_positive(name: str, value: ArrayLike, unit: str = "") -> None:
    """Raise unless every entry of ``value`` is finite and > 0."""
    check_finite(name, value)
    array = concrete(value)
    if array is not None and not np.all(array > 0):
        unit_text = f" {unit}" if unit else ""
        raise ValueError(f"{name} must be positive, got {value!r}{unit_text}; pass a value > 0.")


def check_at_most(name: str, value: ArrayLike, cap: ArrayLike, cap_name: str) -> None:
    """Raise if some entry of ``value`` exceeds ``cap``."""
    array, cap_array = concrete(value), concrete(cap)
    if array is None or cap_array is None:
        return
    if np.any(array > cap_array):
        raise ValueError(
            f"{name}={value!r} exceeds {cap_name}={np.asarray(cap_array).tolist()}; "
            f"use an efficiency at or below {cap_name}."
        )
