"""Idealized runtime of autoregressive transformer requests, its fitter and cost-aware variants.

Narayanan, Santhanam, Henderson, Bommasani, Lee and Liang 2023, "Cheaply Evaluating Inference
Efficiency Metrics for Autoregressive Transformer APIs", arXiv:2305.02440 (NeurIPS 2023), define
the idealized runtime of a request with ``p`` prompt tokens and ``o`` output tokens, served on
uniform hardware and software without contention, as

    runtime(p, o) = prompt_cost(p) + (o - 1) * per_token_cost,

with the prompt cost measured at prompt-length buckets ``p_1 < ... < p_k`` and interpolated
piecewise-linearly between them (linearly extrapolated from the end segments outside). The
denoised variant for measurements that carry a fixed overhead adds a constant ``c``:

    runtime(p, o) = c + prompt_cost(p) + (o - 1) * per_token_cost,

and ties the cost of a one-token prompt to the per-token cost, ``prompt_cost(1) =
per_token_cost``, which makes ``c`` identifiable. Both are linear in their coefficients and are
fitted by least squares (:func:`jaxsim.core.fitting.fit_least_squares`): one prompt cost per
bucket and one per-token slope pooled over all measurements.

The cost-aware variants multiply by the number of accelerators ``n``: accelerator-seconds
``n * runtime``; energy per output token ``n * P * runtime / o`` for power ``P`` per chip; price
per output token ``n * price_per_hour / 3600 * runtime / o``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxsim.core.fitting import FitResult, fit_least_squares

__all__ = [
    "IdealizedRuntime",
    "interpolate_prompt_cost",
    "idealized_runtime",
    "fit_idealized_runtime",
    "accelerator_seconds",
    "energy_per_token",
    "price_per_token",
]


class IdealizedRuntime(eqx.Module):
    """Coefficients of the idealized runtime of one model on one hardware and software stack.

    Attributes:
        buckets: ``(k,)`` increasing prompt lengths in tokens at which the prompt cost is known.
        prompt_costs: ``(k,)`` seconds to process a prompt of each bucket length.
        per_token_cost: seconds per output token after the first.
        overhead: fixed seconds per request (0 for the idealized, positive for the denoised variant).
    """

    buckets: Float[Array, " k"]
    prompt_costs: Float[Array, " k"]
    per_token_cost: Float[Array, ""]
    overhead: Float[Array, ""] = eqx.field(default_factory=lambda: jnp.asarray(0.0))


def _check_buckets(buckets: ArrayLike) -> np.ndarray:
    array = np.asarray(buckets, dtype=float)
    if array.ndim != 1 or array.size < 2:
        raise ValueError(f"buckets must be a 1-D array of at least 2 prompt lengths, got shape {array.shape}.")
    if not np.all(np.diff(array) > 0):
        raise ValueError(f"buckets must be strictly increasing, got {array.tolist()}.")
    if not array[0] > 0:
        raise ValueError(f"buckets must be positive prompt lengths, got first bucket {array[0]}.")
    return array


def interpolate_prompt_cost(
    prompt_tokens: Float[ArrayLike, "..."], buckets: Float[ArrayLike, " k"], prompt_costs: Float[ArrayLike, " k"]
) -> Float[Array, "..."]:
    """Interpolate the prompt cost piecewise-linearly between buckets, extrapolating the end segments."""
    p = jnp.asarray(prompt_tokens, dtype=float)
    xs = jnp.asarray(buckets, dtype=float)
    ys = jnp.asarray(prompt_costs, dtype=float)
    index = jnp.clip(jnp.searchsorted(xs, p, side="right") - 1, 0, xs.shape[0] - 2)
    x0, x1 = xs[index], xs[index + 1]
    y0, y1 = ys[index], ys[index + 1]
    return y0 + (p - x0) * (y1 - y0) / (x1 - x0)


def idealized_runtime(
    coefficients: IdealizedRuntime, prompt_tokens: Float[ArrayLike, "..."], output_tokens: Float[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """Return ``overhead + prompt_cost(p) + (o - 1) * per_token_cost`` in seconds.

    Raises:
        ValueError: for concrete ``prompt_tokens <= 0`` or ``output_tokens < 1``.
    """
    _check_tokens(prompt_tokens, output_tokens)
    prompt = interpolate_prompt_cost(prompt_tokens, coefficients.buckets, coefficients.prompt_costs)
    decode = (jnp.asarray(output_tokens, dtype=float) - 1.0) * coefficients.per_token_cost
    return coefficients.overhead + prompt + decode


def _check_tokens(prompt_tokens: ArrayLike, output_tokens: ArrayLike) -> None:
    try:
        p = np.asarray(prompt_tokens, dtype=float)
        o = np.asarray(output_tokens, dtype=float)
    except Exception:  # traced under jit, vmap or grad: nothing to check
        return
    if np.any(~np.isfinite(p)) or np.any(p <= 0):
        raise ValueError(f"prompt_tokens must be finite and > 0, got min {p.min()}.")
    if np.any(~np.isfinite(o)) or np.any(o < 1):
        raise ValueError(f"output_tokens must be finite and >= 1 (the prompt pass emits the first), got min {o.min()}.")


def _hat_basis(prompt_tokens: Array, buckets: Array) -> Array:
    """``(n, k)`` weights so that ``basis @ prompt_costs`` is the interpolated prompt cost."""
    k = buckets.shape[0]
    return jax.vmap(lambda e: interpolate_prompt_cost(prompt_tokens, buckets, e), out_axes=1)(jnp.eye(k))


def fit_idealized_runtime(
    prompt_tokens: Float[ArrayLike, " n"],
    output_tokens: Float[ArrayLike, " n"],
    runtimes: Float[ArrayLike, " n"],
    buckets: Float[ArrayLike, " k"],
    *,
    denoised: bool = False,
) -> tuple[IdealizedRuntime, FitResult]:
    """Fit idealized-runtime coefficients to measured ``(p, o, runtime)`` triples by least squares.

    The model is linear in the ``k`` prompt costs and the per-token cost (and the overhead for
    ``denoised=True``, where the first bucket must be a one-token prompt whose cost equals the
    per-token cost). The fit starts from the ordinary least-squares solution and is finished
    by :func:`jaxsim.core.fitting.fit_least_squares`, which also returns the Laplace standard
    errors of the coefficients.

    Args:
        prompt_tokens, output_tokens, runtimes: ``(n,)`` measurements; runtimes in seconds.
        buckets: ``(k,)`` increasing prompt lengths.
        denoised: fit a fixed per-request overhead as well.

    Returns:
        ``(coefficients, fit)`` with ``fit.params`` a dict of the fitted arrays.

    Raises:
        ValueError: for mismatched lengths, invalid sizes, too few measurements to estimate the
            noise, prompts outside the buckets, or ``denoised`` without a one-token first bucket.
    """
    bucket_array = _check_buckets(buckets)
    p = np.asarray(prompt_tokens, dtype=float)
    o = np.asarray(output_tokens, dtype=float)
    y = np.asarray(runtimes, dtype=float)
    if not (p.shape == o.shape == y.shape and p.ndim == 1):
        raise ValueError(f"prompt_tokens, output_tokens and runtimes need equal 1-D shapes, got {p.shape}, {o.shape}, {y.shape}.")
    _check_tokens(p, o)
    if np.any(~np.isfinite(y)) or np.any(y <= 0):
        raise ValueError(f"runtimes must be finite and > 0 seconds, got min {y.min()}.")
    if p.min() < bucket_array[0] or p.max() > bucket_array[-1]:
        raise ValueError(
            f"prompt lengths span [{p.min()}, {p.max()}] but the buckets span [{bucket_array[0]}, {bucket_array[-1]}]; "
            "add buckets that cover every measured prompt length."
        )
    if denoised and bucket_array[0] != 1:
        raise ValueError(f"the denoised fit ties prompt_cost(1) to the per-token cost, so buckets must start at 1, got {bucket_array[0]}.")

    bucket_jnp = jnp.asarray(bucket_array)
    basis = np.asarray(_hat_basis(jnp.asarray(p), bucket_jnp))
    decode_column = (o - 1.0)[:, None]
    if denoised:
        # Columns: overhead, per-token cost (also the cost of bucket 1), costs of buckets 2..k.
        design = np.concatenate([np.ones_like(decode_column), decode_column + basis[:, :1], basis[:, 1:]], axis=1)
    else:
        design = np.concatenate([decode_column, basis], axis=1)
    if y.size <= design.shape[1]:
        raise ValueError(
            f"fitting {design.shape[1]} coefficients needs more than {design.shape[1]} measurements, got {y.size}; "
            "measure more (p, o) pairs or use fewer buckets."
        )
    initial, *_ = np.linalg.lstsq(design, y, rcond=None)
    design_jnp = jnp.asarray(design)

    def model(params, _):
        return design_jnp @ params["theta"]

    # The start is already the least-squares optimum, so the tolerance only has to sit above the
    # float32 rounding of the gradient, about 1e-6 times the size of design^T y.
    tol = 1e-6 * max(1.0, float(np.linalg.norm(design.T @ y)))
    fit = fit_least_squares(model, {"theta": jnp.asarray(initial)}, None, jnp.asarray(y), max_steps=100, tol=tol)
    theta = fit.params["theta"]
    if denoised:
        coefficients = IdealizedRuntime(
            bucket_jnp, jnp.concatenate([theta[1:2], theta[2:]]), theta[1], theta[0]
        )
    else:
        coefficients = IdealizedRuntime(bucket_jnp, theta[1:], theta[0], jnp.asarray(0.0))
    return coefficients, fit


def _check_count(name: str, value: ArrayLike) -> None:
    try:
        array = np.asarray(value, dtype=float)
    except Exception:  # traced under jit, vmap or grad: nothing to check
        return
    if np.any(~np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}.")


def accelerator_seconds(
    runtime: Float[ArrayLike, "..."], n_accelerators: Float[ArrayLike, "..."]
) -> Float[Array, "..."]:
    """Return ``n * runtime``, the accelerator-seconds of a request served on ``n`` chips."""
    _check_count("n_accelerators", n_accelerators)
    return jnp.asarray(n_accelerators, dtype=float) * jnp.asarray(runtime)


def energy_per_token(
    runtime: Float[ArrayLike, "..."],
    output_tokens: Float[ArrayLike, "..."],
    n_accelerators: Float[ArrayLike, "..."],
    power_w: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Return joules per output token, ``n * P * runtime / o``, with ``P`` the power per chip in watts.

    Raises:
        ValueError: for a concrete NaN or non-positive power (the table marks unknown power as NaN).
    """
    _check_count("power_w", power_w)
    _check_count("output_tokens", output_tokens)
    return accelerator_seconds(runtime, n_accelerators) * jnp.asarray(power_w) / jnp.asarray(output_tokens)


def price_per_token(
    runtime: Float[ArrayLike, "..."],
    output_tokens: Float[ArrayLike, "..."],
    n_accelerators: Float[ArrayLike, "..."],
    price_per_hour: Float[ArrayLike, "..."],
) -> Float[Array, "..."]:
    """Return the price per output token, ``n * price_per_hour / 3600 * runtime / o``, in the price's currency.

    Raises:
        ValueError: for a concrete NaN or non-positive price.
    """
    _check_count("price_per_hour", price_per_hour)
    _check_count("output_tokens", output_tokens)
    hours = accelerator_seconds(runtime, n_accelerators) / 3600.0
    return hours * jnp.asarray(price_per_hour) / jnp.asarray(output_tokens)
