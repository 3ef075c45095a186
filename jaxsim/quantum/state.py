"""Statevectors: dtype choice, input checks, memory estimates and basis states.

An ``n``-qubit state is a complex array of shape ``(2,) * n``. Axis ``q`` is qubit ``q``, and
in the flattened vector qubit 0 is the most significant bit of the basis index, so the basis
state ``|b_0 b_1 ... b_{n-1}>`` sits at index ``sum_q b_q 2^(n-1-q)``.

The dtype is complex64 by default and complex128 when x64 is enabled
(``jax.config.update("jax_enable_x64", True)``). An input with more precision than the
current mode allows is converted with a ``PrecisionWarning`` instead of silently.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex

__all__ = [
    "PrecisionWarning",
    "complex_dtype",
    "as_state",
    "basis_state",
    "zero_state",
    "state_bytes",
    "available_memory_bytes",
    "check_memory",
    "check_qubits",
    "n_qubits_of",
]

MAX_QUBITS = 32
"""Largest register this package indexes; flat indices are computed in uint32."""


class PrecisionWarning(UserWarning):
    """Warned when a complex128 input is converted to complex64 because x64 is disabled."""


def complex_dtype() -> np.dtype:
    """Return complex128 when x64 is enabled, else complex64."""
    return np.dtype(np.complex128 if jax.config.jax_enable_x64 else np.complex64)


def _warn_downcast(what: str, dtype: np.dtype) -> None:
    warnings.warn(
        f"{what} has dtype {dtype} but x64 is disabled, so it is converted to complex64; "
        "enable x64 (jax.config.update('jax_enable_x64', True)) to keep double precision.",
        PrecisionWarning,
        stacklevel=3,
    )


def as_complex(value, what: str, *, warn: bool = True) -> Array:
    """Convert ``value`` to the current complex dtype.

    A ``PrecisionWarning`` is raised when ``warn`` is True and the conversion changes a value,
    i.e. a float64 or complex128 input whose entries are not exact in single precision.
    """
    dtype = np.dtype(value.dtype) if hasattr(value, "dtype") else np.asarray(value).dtype
    target = complex_dtype()
    converted = jnp.asarray(value).astype(target)
    if warn and dtype.kind in "cf" and dtype.itemsize > target.itemsize // (2 if dtype.kind == "f" else 1):
        if not isinstance(value, jax.core.Tracer):
            original = np.asarray(value)
            if not np.array_equal(np.asarray(converted), original.astype(np.complex128)):
                _warn_downcast(what, dtype)
    return converted


def n_qubits_of(state: Array) -> int:
    """Return the number of qubits of a state of shape ``(2,) * n``.

    Raises:
        ValueError: if the shape is not ``(2,) * n`` with ``1 <= n <= 32``.
    """
    shape = tuple(np.shape(state))
    if len(shape) == 0 or any(d != 2 for d in shape) or len(shape) > MAX_QUBITS:
        raise ValueError(
            f"a state must have shape (2,) * n with 1 <= n <= {MAX_QUBITS}, got shape {shape}; "
            "reshape a flat vector of length 2**n with state.reshape((2,) * n)."
        )
    return len(shape)


def as_state(state, *, what: str = "state") -> Complex[Array, "..."]:
    """Check the shape of ``state`` and convert it to the current complex dtype.

    Raises:
        ValueError: for a shape other than ``(2,) * n``.
    """
    n_qubits_of(state)
    if np.dtype(state.dtype) == complex_dtype() and isinstance(state, jax.Array):
        return state
    return as_complex(state, what)


def check_qubits(qubits: Sequence[int], n_qubits: int, *, what: str = "qubits") -> tuple[int, ...]:
    """Check that ``qubits`` are distinct integers in ``[0, n_qubits)`` and return them.

    Raises:
        ValueError: for an index out of range, a repeated index or a non-integer.
    """
    checked = []
    for q in qubits:
        if isinstance(q, (bool, np.bool_)) or not isinstance(q, (int, np.integer)):
            raise ValueError(f"{what} must be Python integers, got {q!r} of type {type(q).__name__}.")
        q = int(q)
        if not 0 <= q < n_qubits:
            raise ValueError(f"{what} index {q} is out of range for {n_qubits} qubits; use 0 <= q < {n_qubits}.")
        checked.append(q)
    if len(set(checked)) != len(checked):
        raise ValueError(f"{what} {tuple(checked)} contain a repeated index; each qubit may appear once.")
    return tuple(checked)


def state_bytes(n_qubits: int, dtype=None) -> int:
    """Return the bytes of one state buffer of ``n_qubits`` qubits (complex64 = 8 bytes each)."""
    dtype = complex_dtype() if dtype is None else np.dtype(dtype)
    return (1 << n_qubits) * dtype.itemsize


def available_memory_bytes(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Read ``MemAvailable`` from ``/proc/meminfo`` in bytes; None where that file is missing."""
    try:
        text = Path(meminfo).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return None


def check_memory(
    n_qubits: int,
    *,
    n_buffers: float = 2.0,
    limit_bytes: int | None = None,
    label: str | None = None,
    dtype=None,
) -> int:
    """Check, before allocating, that ``n_buffers`` state buffers fit in memory.

    Args:
        n_qubits: register size.
        n_buffers: state buffers alive at the peak (two for a donated, out-of-place update).
        limit_bytes: memory budget; default ``MemAvailable`` from ``/proc/meminfo`` (no check
            where that cannot be read).
        label: how the error names the problem size, e.g. ``"n=14 (28 qubits)"``.
        dtype: state dtype; default :func:`complex_dtype`.

    Returns:
        The estimated peak in bytes.

    Raises:
        ValueError: naming the size and the bytes needed, when the estimate exceeds the budget.
    """
    if not 1 <= n_qubits <= MAX_QUBITS:
        raise ValueError(f"n_qubits must be in [1, {MAX_QUBITS}], got {n_qubits}.")
    needed = int(math.ceil(n_buffers * state_bytes(n_qubits, dtype)))
    limit = available_memory_bytes() if limit_bytes is None else int(limit_bytes)
    if limit is not None and needed > limit:
        label = label or f"{n_qubits} qubits"
        raise ValueError(
            f"{label} needs about {needed} bytes ({needed / 2**30:.2f} GiB, {n_buffers:g} state buffers) "
            f"but only {limit} bytes ({limit / 2**30:.2f} GiB) are available; use fewer qubits "
            "or free memory."
        )
    return needed


def basis_state(bits: Sequence[int], dtype=None) -> Complex[Array, "..."]:
    """Return the computational basis state ``|bits>`` as an array of shape ``(2,) * n``.

    Raises:
        ValueError: if an entry of ``bits`` is not 0 or 1.
    """
    bits = [int(b) for b in bits]
    if any(b not in (0, 1) for b in bits):
        raise ValueError(f"basis state bits must be 0 or 1, got {bits}.")
    n = len(bits)
    if not 1 <= n <= MAX_QUBITS:
        raise ValueError(f"a basis state needs 1 to {MAX_QUBITS} bits, got {n}.")
    index = int("".join(map(str, bits)), 2)
    dtype = complex_dtype() if dtype is None else dtype
    return jnp.zeros(1 << n, dtype).at[index].set(1).reshape((2,) * n)


def zero_state(n_qubits: int, dtype=None, *, limit_bytes: int | None = None) -> Complex[Array, "..."]:
    """Return ``|0...0>`` on ``n_qubits`` qubits, after checking that two buffers fit in memory."""
    check_memory(n_qubits, limit_bytes=limit_bytes, dtype=dtype)
    return basis_state([0] * n_qubits, dtype)
