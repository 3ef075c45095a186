"""Smooth maximum, minimum and clipping with a temperature.

Each function is exact at ``temperature = 0`` and differentiable everywhere for a positive
temperature, so that costs built from maxima (roofline time, capacity limits, network
latency) can be optimised by gradient descent. The log-sum-exp form used here,

    smooth_max(x; t) = t * log(sum_i exp(x_i / t)),

satisfies ``max(x) <= smooth_max(x; t) <= max(x) + t * log(n)`` for ``n`` entries, so the
temperature carries the unit of ``x`` and bounds the error. For positive quantities that span
orders of magnitude, ``pnorm_max`` gives a scale-free alternative whose relative error is at
most ``n ** (1 / p) - 1``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = ["smooth_max", "smooth_min", "smooth_clip", "softplus", "pnorm_max"]


def _safe_temperature(temperature: ArrayLike) -> tuple[Array, Array]:
    """Return ``(is_exact, t)`` where ``t`` is the temperature with zeros replaced by one.

    The double ``where`` keeps gradients finite at ``temperature = 0``: the branch that would
    divide by zero is evaluated on a harmless value instead.
    """
    temperature = jnp.asarray(temperature)
    is_exact = temperature <= 0
    return is_exact, jnp.where(is_exact, 1.0, temperature)


def smooth_max(
    x: Float[ArrayLike, "..."],
    y: Float[ArrayLike, "..."] | None = None,
    *,
    temperature: Float[ArrayLike, ""] = 0.0,
    axis: int | None = -1,
) -> Float[Array, "..."]:
    """Compute a smooth maximum ``t * logsumexp(x / t)`` that tends to ``max`` as ``t -> 0``.

    Args:
        x: values; reduced over ``axis`` when ``y`` is None.
        y: if given, the elementwise smooth maximum of ``x`` and ``y`` (broadcast together).
        temperature: scale ``t >= 0`` in the unit of ``x``; ``0`` gives the exact maximum.
        axis: axis reduced when ``y`` is None; ``None`` reduces over all entries.

    Returns:
        The smooth maximum, at most ``t * log(n)`` above the exact one.

    Raises:
        ValueError: if ``temperature`` is a concrete negative number.
    """
    _check_temperature(temperature)
    if y is not None:
        x = jnp.stack(jnp.broadcast_arrays(jnp.asarray(x), jnp.asarray(y)), axis=-1)
        axis = -1
    x = jnp.asarray(x)
    is_exact, t = _safe_temperature(temperature)
    soft = t * jax.nn.logsumexp(x / t, axis=axis)
    hard = jnp.max(x, axis=axis)
    return jnp.where(is_exact, hard, soft)


def smooth_min(
    x: Float[ArrayLike, "..."],
    y: Float[ArrayLike, "..."] | None = None,
    *,
    temperature: Float[ArrayLike, ""] = 0.0,
    axis: int | None = -1,
) -> Float[Array, "..."]:
    """Compute a smooth minimum, ``-smooth_max(-x)``; exact at ``temperature = 0``.

    Arguments are as for :func:`smooth_max`. The result is at most ``t * log(n)`` below the
    exact minimum.
    """
    neg_y = None if y is None else -jnp.asarray(y)
    return -smooth_max(-jnp.asarray(x), neg_y, temperature=temperature, axis=axis)


def softplus(x: Float[ArrayLike, "..."], *, temperature: Float[ArrayLike, ""] = 0.0) -> Float[Array, "..."]:
    """Compute ``t * log(1 + exp(x / t))``, a smooth ``max(x, 0)``; exact at ``t = 0``."""
    return smooth_max(x, jnp.zeros_like(jnp.asarray(x)), temperature=temperature)


def smooth_clip(
    x: Float[ArrayLike, "..."],
    lower: Float[ArrayLike, "..."],
    upper: Float[ArrayLike, "..."],
    *,
    temperature: Float[ArrayLike, ""] = 0.0,
) -> Float[Array, "..."]:
    """Clip ``x`` smoothly to ``[lower, upper]`` as ``smooth_min(smooth_max(x, lower), upper)``.

    Exact at ``temperature = 0``. For a positive temperature the result may lie up to
    ``t * log(2)`` outside the bounds.

    Raises:
        ValueError: if concrete bounds have ``lower > upper``.
    """
    try:
        bad = bool(jnp.any(jnp.asarray(lower) > jnp.asarray(upper)))
    except jax.errors.ConcretizationTypeError:
        bad = False
    if bad:
        raise ValueError(f"smooth_clip needs lower <= upper, got lower={lower} and upper={upper}; swap the bounds.")
    low = smooth_max(x, lower, temperature=temperature)
    return smooth_min(low, upper, temperature=temperature)


def pnorm_max(x: Float[ArrayLike, "..."], *, p: float = 8.0, axis: int | None = -1) -> Float[Array, "..."]:
    """Compute the scale-free smooth maximum ``(sum_i x_i ** p) ** (1 / p)`` of positive values.

    The result lies between ``max(x)`` and ``n ** (1 / p) * max(x)`` and tends to ``max`` as
    ``p -> inf``. It is computed in log space, so it neither overflows nor underflows for
    values that span many orders of magnitude. Entries must be positive.

    Raises:
        ValueError: if ``p`` is not positive.
    """
    if not p > 0:
        raise ValueError(f"pnorm_max needs p > 0, got p={p}; use p >= 1 for an upper bound on max.")
    log_x = jnp.log(jnp.asarray(x))
    return jnp.exp(jax.nn.logsumexp(p * log_x, axis=axis) / p)


def _check_temperature(temperature: ArrayLike) -> None:
    try:
        negative = bool(jnp.any(jnp.asarray(temperature) < 0))
    except jax.errors.ConcretizationTypeError:
        return
    if negative:
        raise ValueError(f"temperature must be >= 0, got {temperature}; use 0 for the exact function.")
