"""Learned scores and entropy production over a batch of samples, sharded over devices.

:func:`sample_scores` evaluates the network on every sample with
:func:`jaxsim.core.ensemble.ensemble`, which splits the samples across all devices; each
sample's result depends only on that sample, so it does not change with the device count.
:func:`estimate_entropy_production` combines the scores with the drift into the total EPR,
the local EPR of every particle and the two estimators of the ``g``-part.
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

from jaxsim.active.learning.estimators import (
    EntropyProductionEstimate,
    entropy_production,
    estimator_agreement,
    local_entropy_production,
    probability_flow_velocity,
    propulsion_entropy_production,
    propulsion_entropy_production_divergence,
)
from jaxsim.active.learning.network import ScoreNetwork
from jaxsim.active.learning.score import (
    ScoreInputs,
    particle_scores,
    particle_scores_and_jacobian_diagonal,
    validate_inputs,
)
from jaxsim.core.ensemble import ensemble

__all__ = ["EntropyProductionReport", "estimate_entropy_production", "sample_scores"]


def sample_scores(
    model: ScoreNetwork, inputs: ScoreInputs, *, divergence: bool = True, chunk_size: int | None = None
) -> tuple[Float[Array, "samples n outputs"], Float[Array, "samples n outputs"] | None]:
    """Evaluate scores (and the exact own-block Jacobian diagonals) of every sample.

    Args:
        model: the trained network.
        inputs: a batch of configurations, leaves with a leading sample axis.
        divergence: also return ``d s_{i,a} / d z_{i,a}``; otherwise the second output is None.
        chunk_size: particles evaluated at a time within a sample, to bound memory.

    Raises:
        ValueError: for inputs that do not match the network or hold a non-finite value.
    """
    if inputs.propulsion.ndim != 3:
        raise ValueError(f"inputs need a leading sample axis, got propulsion of shape {inputs.propulsion.shape}.")
    validate_inputs(model.config, inputs)
    graphdef, state = nnx.split(model)
    if divergence:
        result = ensemble(_with_divergence(graphdef, chunk_size), inputs, state)
        return result[0], result[1]
    return ensemble(_scores_only(graphdef, chunk_size), inputs, state), None


_FUNCTIONS: dict = {}


def _with_divergence(graphdef, chunk_size):
    # One function object per (graph, chunk size), so that ensemble's cache of jitted maps hits.
    key = ("divergence", graphdef, chunk_size)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = lambda inp, state: particle_scores_and_jacobian_diagonal(
            nnx.merge(graphdef, state), inp, chunk_size=chunk_size
        )
    return _FUNCTIONS[key]


def _scores_only(graphdef, chunk_size):
    key = ("scores", graphdef, chunk_size)
    if key not in _FUNCTIONS:
        _FUNCTIONS[key] = lambda inp, state: particle_scores(nnx.merge(graphdef, state), inp, chunk_size=chunk_size)
    return _FUNCTIONS[key]


@dataclasses.dataclass(frozen=True)
class EntropyProductionReport:
    """Entropy production of a system estimated from a learned score.

    Attributes:
        total: EPR from ``<v^T D^{-1} v>`` over every learned component.
        propulsion: ``g``-part from ``gamma |g + s_g|^2``.
        propulsion_divergence: ``g``-part from ``gamma (|g|^2 - 2 d - div_g s_g)``.
        agreement: relative difference of the two ``g``-part estimates.
        local: EPR of every particle in every sample, ``(samples, n)``.
        velocity: probability-flow velocity ``(samples, n, outputs)`` in the network's order.
    """

    total: EntropyProductionEstimate
    propulsion: EntropyProductionEstimate
    propulsion_divergence: EntropyProductionEstimate
    agreement: Float[Array, ""]
    local: Float[Array, "samples n"]
    velocity: Float[Array, "samples n outputs"]


def estimate_entropy_production(
    model: ScoreNetwork,
    inputs: ScoreInputs,
    drift: Float[Array, "samples n outputs"],
    *,
    gamma: float,
    eps: float,
    chunk_size: int | None = None,
) -> EntropyProductionReport:
    """Estimate the EPR of AOUPs from a trained network on a batch of samples.

    Args:
        model: trained network; with ``score_positions`` it covers ``x`` (needs ``eps > 0``),
            otherwise only the ``g``-part.
        inputs: samples, leading sample axis.
        drift: drift ``(b_g, b_x)`` per particle in the network's output order; ``b_g = -gamma g``.
        gamma: inverse persistence time.
        eps: translational diffusion coefficient.
        chunk_size: particles evaluated at a time within a sample.

    Raises:
        ValueError: if the network learns ``x`` scores but ``eps <= 0``, or for shapes that
            do not match.
    """
    config = model.config
    if config.score_positions and not eps > 0:
        raise ValueError(f"a network with position scores needs eps > 0, got eps={eps}.")
    if drift.shape != inputs.propulsion.shape[:2] + (config.n_outputs,):
        raise ValueError(
            f"drift must have shape (samples, n, n_outputs) = {inputs.propulsion.shape[:2] + (config.n_outputs,)}, "
            f"got {drift.shape}."
        )
    scores, diagonal = sample_scores(model, inputs, chunk_size=chunk_size)
    d = config.dim
    diffusion = jnp.asarray([gamma] * d + ([eps] * d if config.score_positions else []), scores.dtype)
    velocity = probability_flow_velocity(scores, drift, diffusion)
    local = local_entropy_production(velocity, diffusion)
    g = inputs.propulsion
    first = entropy_production(propulsion_entropy_production(g, scores[..., :d], gamma))
    second = entropy_production(propulsion_entropy_production_divergence(g, diagonal[..., :d], gamma))
    return EntropyProductionReport(
        total=entropy_production(local),
        propulsion=first,
        propulsion_divergence=second,
        agreement=estimator_agreement(first.total, second.total),
        local=local,
        velocity=velocity,
    )
