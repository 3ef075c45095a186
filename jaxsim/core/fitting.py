"""Gradient-based least-squares and likelihood fits with optax and a Laplace covariance.

A fit minimises a scalar loss over a pytree of parameters with L-BFGS (``optax.lbfgs`` with
its zoom line search), then takes the covariance of the parameters from the inverse Hessian
of the loss at the optimum (the Laplace approximation):

- negative log-likelihood ``L(theta)``: ``cov = H^-1`` with ``H = d^2 L / d theta^2``;
- least squares ``L = 1/2 sum_i (r_i / sigma_i)^2``: ``cov = H^-1`` when the noise scales
  ``sigma_i`` are known, and ``cov = s^2 H^-1`` with ``s^2 = sum_i r_i^2 / (n - p)`` fitted
  from the residuals when they are not (``n`` points, ``p`` parameters). This is the
  unbiased noise estimate of linear least squares and holds to first order for nonlinear models.

With ``log_residuals=True`` the residuals are ``log(y) - log(model(x))``, the right choice
when data span orders of magnitude and the noise is multiplicative.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, ArrayLike, Float, PyTree

__all__ = ["FitResult", "minimize", "fit_least_squares", "fit_nll"]


class FitResult(eqx.Module):
    """Outcome of a fit.

    Attributes:
        params: parameters at the optimum, a pytree like the initial guess.
        covariance: ``(p, p)`` Laplace covariance of the flattened parameters.
        std: pytree like ``params`` with the standard error of each parameter.
        residuals: ``(n,)`` residuals at the optimum for least squares; empty for likelihoods.
        loss: loss at the optimum.
        grad_norm: norm of the gradient at the optimum.
        steps: number of optimiser steps taken.
        converged: whether the gradient norm fell below the tolerance.
    """

    params: PyTree
    covariance: Float[Array, "p p"]
    std: PyTree
    residuals: Float[Array, " n"]
    loss: Float[Array, ""]
    grad_norm: Float[Array, ""]
    steps: Array
    converged: Array


def minimize(
    loss_fn: Callable[[PyTree], Float[Array, ""]],
    params0: PyTree,
    *,
    max_steps: int = 500,
    tol: float = 1e-6,
) -> tuple[PyTree, Array, Array]:
    """Minimise ``loss_fn`` from ``params0`` with L-BFGS inside one ``lax.while_loop``.

    Args:
        loss_fn: scalar function of a pytree of float arrays.
        params0: initial guess.
        max_steps: maximum number of L-BFGS steps.
        tol: stop when the gradient norm is below ``tol``.

    Returns:
        ``(params, steps, grad_norm)`` at the final iterate.
    """
    solver = optax.lbfgs()
    value_and_grad = optax.value_and_grad_from_state(loss_fn)

    def step(carry):
        params, state, _, count = carry
        value, grad = value_and_grad(params, state=state)
        updates, state = solver.update(grad, state, params, value=value, grad=grad, value_fn=loss_fn)
        params = optax.apply_updates(params, updates)
        # The stopping test uses the gradient at the updated parameters, so that the loop
        # never stops on the gradient of an iterate it has already moved away from.
        return params, state, optax.tree.norm(jax.grad(loss_fn)(params)), count + 1

    def keep_going(carry):
        _, _, grad_norm, count = carry
        return (count < max_steps) & (grad_norm > tol)

    grad_norm0 = optax.tree.norm(jax.grad(loss_fn)(params0))
    init = (params0, solver.init(params0), grad_norm0, jnp.asarray(0))
    params, _, grad_norm, steps = jax.lax.while_loop(keep_going, step, init)
    return params, steps, grad_norm


def _laplace(loss_fn: Callable[[PyTree], Array], params: PyTree, scale: Array) -> tuple[Array, PyTree]:
    flat, unravel = ravel_pytree(params)
    hessian = jax.hessian(lambda v: loss_fn(unravel(v)))(flat)
    covariance = scale * jnp.linalg.pinv(hessian, hermitian=True)
    std = unravel(jnp.sqrt(jnp.clip(jnp.diag(covariance), 0.0)))
    return covariance, std


# The solvers below are jitted with the model (or likelihood) as a static argument, so a second
# fit with the same function and the same shapes reuses the compiled program. A model defined
# anew on every call (a fresh lambda or closure) still compiles every time.
@functools.partial(jax.jit, static_argnames=("model", "log_residuals", "estimate_noise", "max_steps", "tol"))
def _solve_least_squares(model, params0, x, y, weights, *, log_residuals, estimate_noise, max_steps, tol):
    def residuals(params):
        prediction = model(params, x)
        if log_residuals:
            return jnp.log(y) - jnp.log(prediction)
        return y - prediction

    def loss_fn(params):
        return 0.5 * jnp.sum((weights * residuals(params)) ** 2)

    params, steps, grad_norm = minimize(loss_fn, params0, max_steps=max_steps, tol=tol)
    r = residuals(params)
    n_params = ravel_pytree(params0)[0].size
    scale = jnp.sum(r**2) / (y.size - n_params) if estimate_noise else jnp.asarray(1.0, r.dtype)
    covariance, std = _laplace(loss_fn, params, scale)
    return FitResult(params, covariance, std, r, loss_fn(params), grad_norm, steps, grad_norm <= tol)


@functools.partial(jax.jit, static_argnames=("nll", "max_steps", "tol"))
def _solve_nll(nll, params0, data, *, max_steps, tol):
    def loss_fn(params):
        return nll(params, data)

    params, steps, grad_norm = minimize(loss_fn, params0, max_steps=max_steps, tol=tol)
    value = loss_fn(params)
    covariance, std = _laplace(loss_fn, params, jnp.asarray(1.0, value.dtype))
    empty = jnp.zeros((0,), value.dtype)
    return FitResult(params, covariance, std, empty, value, grad_norm, steps, grad_norm <= tol)


def fit_least_squares(
    model: Callable[[PyTree, Any], Float[Array, " n"]],
    params0: PyTree,
    x: Any,
    y: Float[ArrayLike, " n"],
    *,
    sigma: Float[ArrayLike, " n"] | None = None,
    log_residuals: bool = False,
    max_steps: int = 500,
    tol: float = 1e-6,
) -> FitResult:
    """Fit ``model(params, x)`` to ``y`` by least squares and return the Laplace covariance.

    Args:
        model: ``model(params, x) -> (n,)`` predictions. Fits that pass the same function object
            reuse one compiled solver.
        params0: initial guess, a pytree of float arrays.
        x: inputs passed unchanged to ``model``, a pytree of arrays.
        y: ``(n,)`` observations; positive when ``log_residuals`` is set.
        sigma: ``(n,)`` known noise scales, in the unit of the residuals. When None, the
            noise scale is estimated from the residuals and needs ``n`` greater than the
            number of parameters.
        log_residuals: fit ``log(y)`` against ``log(model)`` (relative errors).
        max_steps, tol: passed to :func:`minimize`.

    Returns:
        A :class:`FitResult`; ``residuals`` are ``y - model`` or ``log y - log model``.

    Raises:
        ValueError: for non-finite data, non-positive ``y`` with ``log_residuals``,
            non-positive ``sigma``, or too few points to estimate the noise.
    """
    y = jnp.asarray(y)
    n_params = ravel_pytree(params0)[0].size
    if not np.all(np.isfinite(np.asarray(y))):
        raise ValueError("fit_least_squares got non-finite values in y; drop or fix those points before fitting.")
    if log_residuals and not np.all(np.asarray(y) > 0):
        raise ValueError(f"log_residuals needs y > 0, got min(y)={float(np.min(np.asarray(y)))}; fit in linear space.")
    if sigma is not None and not np.all(np.asarray(sigma) > 0):
        raise ValueError(f"sigma must be positive, got min(sigma)={float(np.min(np.asarray(sigma)))}.")
    if sigma is None and y.size <= n_params:
        raise ValueError(
            f"estimating the noise needs more points than parameters, got {y.size} points for {n_params} "
            "parameters; pass sigma or add data."
        )
    weights = jnp.ones_like(y) if sigma is None else 1.0 / jnp.asarray(sigma, dtype=y.dtype)
    return _solve_least_squares(
        model,
        params0,
        x,
        y,
        weights,
        log_residuals=log_residuals,
        estimate_noise=sigma is None,
        max_steps=max_steps,
        tol=tol,
    )


def fit_nll(
    nll: Callable[[PyTree, Any], Float[Array, ""]],
    params0: PyTree,
    data: Any,
    *,
    max_steps: int = 500,
    tol: float = 1e-6,
) -> FitResult:
    """Fit by minimising a total negative log-likelihood ``nll(params, data)``.

    The covariance is the inverse Hessian of the total NLL at the optimum. ``residuals`` is
    an empty array. Fits that pass the same ``nll`` function object reuse one compiled solver.

    Raises:
        ValueError: if the negative log-likelihood is not finite at the optimum.
    """
    fit = _solve_nll(nll, params0, data, max_steps=max_steps, tol=tol)
    if not np.isfinite(float(fit.loss)):
        raise ValueError(f"the negative log-likelihood is {float(fit.loss)} at the optimum; check params0 and the data.")
    return fit
