"""Closed-form fit of the network's linear skip path by score matching.

The skip path of :class:`~jaxsim.active.learning.network.ScoreNetwork` is linear in its
parameters ``theta``, so with every other weight fixed the score is ``s = s_0 + Phi theta``
and its own-block Jacobian diagonal is affine in ``theta`` as well. The implicit
score-matching loss ``sum_a w_a (s_a^2 + 2 ds_a/dz_a)`` (A. Hyvarinen, "Estimation of
non-normalized statistical models by score matching", JMLR 6, 2005) is then a quadratic
``L(theta) = L_0 + g^T (theta - theta_0) + (theta - theta_0)^T H (theta - theta_0) / 2``
(and so is the denoising loss for fixed noise), and one Newton step

    theta* = theta_0 - (H + lambda I)^{-1} g

lands on its minimum. Gradient descent with Adam moves each weight by about one learning
rate per step, so it needs thousands of steps to reach the large coefficients of a stiff
Gaussian score. The Newton step reaches them at once and leaves the nonlinear remainder to
the attention stack.
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.flatten_util import ravel_pytree

from jaxsim.active.learning.losses import LossConfig, score_matching_loss
from jaxsim.active.learning.network import ScoreNetwork
from jaxsim.active.learning.score import ScoreInputs, validate_inputs

__all__ = ["fit_linear_skip"]

_SKIP = nnx.All(nnx.Param, nnx.PathContains("skip"))


@functools.partial(jax.jit, static_argnames=("graphdef", "unravel", "loss"))
def _hessian_and_gradient(theta, inputs, rest, key, *, graphdef, unravel, loss):
    def total(theta):
        net = nnx.merge(graphdef, unravel(theta), rest)
        keys = jax.random.split(key, inputs.propulsion.shape[0])
        return jnp.sum(jax.vmap(lambda one, k: score_matching_loss(net, one, k, loss))(inputs, keys))

    return jax.hessian(total)(theta), jax.grad(total)(theta)


def fit_linear_skip(
    model: ScoreNetwork,
    inputs: ScoreInputs,
    loss: LossConfig,
    *,
    seed: int = 0,
    chunk_size: int = 16,
    ridge: float = 1e-6,
) -> ScoreNetwork:
    """Return a copy of ``model`` whose skip path minimises the score-matching loss on ``inputs``.

    The Hessian and gradient of the loss in the skip parameters (a few hundred) are summed
    over ``inputs`` in chunks, in float64 on the host for the solve. The Fokker-Planck
    penalty, which is not quadratic, is left out.

    Args:
        model: a network with ``linear_skip``; its other weights stay as they are.
        inputs: training configurations with a leading sample axis.
        loss: loss kind and component weights.
        seed: seed of the noise of the denoising loss or of Hutchinson probes.
        chunk_size: samples per compiled Hessian evaluation (memory grows with it).
        ridge: ``lambda`` relative to the mean diagonal of ``H``; it fixes the directions
            that the data leave undetermined (basis functions that no neighbour reaches).

    Raises:
        ValueError: for a network without the skip path or inputs that do not match it.
    """
    if not model.config.linear_skip:
        raise ValueError("the network has linear_skip=False; there is no skip path to fit.")
    if inputs.propulsion.ndim != 3:
        raise ValueError(f"inputs need a leading sample axis, got propulsion of shape {inputs.propulsion.shape}.")
    if chunk_size < 1 or not ridge > 0:
        raise ValueError(f"chunk_size must be >= 1 and ridge > 0, got {chunk_size} and {ridge}.")
    validate_inputs(model.config, inputs)
    loss = dataclasses.replace(loss, fokker_planck_weight=0.0)
    graphdef, skip, rest = nnx.split(model, _SKIP, ...)
    theta, unravel = ravel_pytree(skip)
    n_samples = inputs.propulsion.shape[0]
    hessian = np.zeros((theta.size, theta.size))
    gradient = np.zeros(theta.size)
    key = jax.random.key(seed)
    # Equal chunks compile once; the remainder forms one more, shorter chunk.
    for start in range(0, n_samples, chunk_size):
        chunk = jax.tree.map(lambda leaf: leaf[start : start + chunk_size], inputs)
        h, g = _hessian_and_gradient(
            theta, chunk, rest, jax.random.fold_in(key, start), graphdef=graphdef, unravel=unravel, loss=loss
        )
        hessian += np.asarray(h, np.float64)
        gradient += np.asarray(g, np.float64)
    hessian /= n_samples
    gradient /= n_samples
    hessian = 0.5 * (hessian + hessian.T)
    damping = ridge * max(np.trace(hessian) / theta.size, np.finfo(np.float64).tiny)
    step = np.linalg.solve(hessian + damping * np.eye(theta.size), gradient)
    if not np.isfinite(step).all():
        raise FloatingPointError("the skip-path fit gave a non-finite step; check the inputs for outliers.")
    fitted = jnp.asarray(np.asarray(theta, np.float64) - step, theta.dtype)
    return nnx.merge(graphdef, unravel(fitted), rest)
