"""Score-matching losses for the score network, per configuration.

Both losses are minimised by the true score ``s = grad log p`` of the stationary density.
Components are weighted by ``weights = (w_g, w_x)``; with ``w = D = (gamma, eps)`` the loss
measures the error ``(s_hat - s)^T D (s_hat - s)`` that enters the entropy production.

- Denoising score matching (P. Vincent, "A connection between score matching and denoising
  autoencoders", Neural Computation 23, 2011): for ``z' = z + sigma xi``,
  ``E |sigma s(z') + xi|^2`` is minimised by the score of the density smoothed with
  ``N(0, sigma^2)``, which differs from the true score by ``O(sigma^2)``. Antithetic pairs
  ``(xi, -xi)`` cancel the leading odd term of the variance.
- Implicit score matching (A. Hyvarinen, "Estimation of non-normalized statistical models
  by score matching", JMLR 6, 2005): ``E[|s|^2 + 2 div s]`` equals the Fisher divergence up to
  a constant, with no bias. The divergence is exact (a ``2d x 2d`` Jacobian per particle) or
  a Hutchinson estimate.
- Stationary Fokker-Planck residual: at stationarity the probability-flow velocity
  ``v = b - D s`` satisfies ``div v + v . s = 0`` everywhere, so its mean square is a
  penalty that vanishes at the true score.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from jaxsim.active.learning.network import ScoreNetConfig, ScoreNetwork
from jaxsim.active.learning.score import (
    ScoreInputs,
    particle_scores,
    particle_scores_and_hutchinson,
    particle_scores_and_jacobian_diagonal,
)

__all__ = [
    "LossConfig",
    "Drift",
    "component_weights",
    "denoising_loss",
    "implicit_loss",
    "fokker_planck_residual",
    "score_matching_loss",
]

_KINDS = ("denoising", "implicit")


@dataclasses.dataclass(frozen=True)
class LossConfig:
    """Choice and settings of the training loss (all static).

    Attributes:
        kind: ``"denoising"`` or ``"implicit"``.
        noise_g: denoising noise on ``g`` (units of ``g``).
        noise_x: denoising noise on ``x`` (units of length; used with position scores).
        hutchinson: estimate the divergence with one Rademacher probe instead of exactly.
        weight_g, weight_x: weights of the ``g`` and ``x`` components, e.g. ``gamma`` and
            ``eps`` for the ``D`` norm.
        fokker_planck_weight: weight of the mean squared Fokker-Planck residual per
            particle; needs :class:`Drift` in the training data and position scores.
    """

    kind: str = "implicit"
    noise_g: float = 0.05
    noise_x: float = 0.05
    hutchinson: bool = False
    weight_g: float = 1.0
    weight_x: float = 1.0
    fokker_planck_weight: float = 0.0

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"loss kind must be one of {_KINDS}, got {self.kind!r}.")
        if self.noise_g <= 0 or self.noise_x <= 0:
            raise ValueError(f"denoising noise must be > 0, got noise_g={self.noise_g}, noise_x={self.noise_x}.")
        if self.weight_g <= 0 or self.weight_x <= 0:
            raise ValueError(f"weights must be > 0, got weight_g={self.weight_g}, weight_x={self.weight_x}.")
        if self.fokker_planck_weight < 0:
            raise ValueError(f"fokker_planck_weight must be >= 0, got {self.fokker_planck_weight}.")


class Drift(eqx.Module):
    """Drift of every particle in the network's output order, with its own-block divergence.

    Attributes:
        value: ``b_i`` as ``(b_g, b_x)``, shape ``(n, n_outputs)``.
        divergence: ``sum_a d b_{i,a} / d z_{i,a}``, shape ``(n,)``.
    """

    value: Float[Array, "*batch n outputs"]
    divergence: Float[Array, "*batch n"]


def component_weights(config: ScoreNetConfig, weight_g: float, weight_x: float) -> Float[Array, " outputs"]:
    """Return per-output weights ``(w_g,) * d + (w_x,) * d`` in the network's order."""
    parts = [jnp.full((config.dim,), weight_g)]
    if config.score_positions:
        parts.append(jnp.full((config.dim,), weight_x))
    return jnp.concatenate(parts)


def _perturb(inputs: ScoreInputs, config: ScoreNetConfig, noise: Array, sigma_g: float, sigma_x: float, sign: float):
    # noise has shape (n, n_outputs) in the order (g, x); x noise moves displacements and anchors.
    d = config.dim
    g = inputs.propulsion + sign * sigma_g * noise[:, :d]
    disp, anchor = inputs.neighbor_displacements, inputs.anchor_displacement
    if config.score_positions:
        dx = sign * sigma_x * noise[:, d:]
        disp = disp + dx[inputs.neighbor_indices] - dx[:, None, :]
        if anchor is not None:
            anchor = anchor + dx
    # NOTE: the neighbour indices stay those of the clean configuration; for noise well
    # below the neighbour spacing they rarely differ from a new search.
    return ScoreInputs(g, inputs.neighbor_indices, disp, anchor)


def denoising_loss(
    model: ScoreNetwork, inputs: ScoreInputs, key: PRNGKeyArray, loss: LossConfig
) -> Float[Array, ""]:
    """Return the antithetic denoising score-matching loss of one configuration, per particle.

    ``0.5 sum_{+-} sum_a w_a |sigma_a s_a(z +- sigma xi) +- xi_a|^2``, averaged over particles.
    """
    config = model.config
    d = config.dim
    weights = component_weights(config, loss.weight_g, loss.weight_x)
    sigma = jnp.concatenate(
        [jnp.full((d,), loss.noise_g)] + ([jnp.full((d,), loss.noise_x)] if config.score_positions else [])
    )
    noise = jax.random.normal(key, (inputs.n_particles, config.n_outputs), inputs.propulsion.dtype)
    total = 0.0
    for sign in (1.0, -1.0):
        scores = particle_scores(model, _perturb(inputs, config, noise, loss.noise_g, loss.noise_x, sign))
        total = total + jnp.sum(weights * (sigma * scores + sign * noise) ** 2, axis=-1)
    return 0.5 * jnp.mean(total)


def _scores_and_diagonal(model: ScoreNetwork, inputs: ScoreInputs, key: PRNGKeyArray, hutchinson: bool):
    if hutchinson:
        return particle_scores_and_hutchinson(model, inputs, key)
    return particle_scores_and_jacobian_diagonal(model, inputs)


def implicit_loss(
    model: ScoreNetwork, inputs: ScoreInputs, key: PRNGKeyArray, loss: LossConfig
) -> Float[Array, ""]:
    """Return the implicit score-matching loss ``sum_a w_a (s_a^2 + 2 ds_a/dz_a)`` per particle."""
    weights = component_weights(model.config, loss.weight_g, loss.weight_x)
    scores, diagonal = _scores_and_diagonal(model, inputs, key, loss.hutchinson)
    return jnp.mean(jnp.sum(weights * (scores**2 + 2.0 * diagonal), axis=-1))


def fokker_planck_residual(
    scores: Float[Array, "n outputs"],
    score_diagonal: Float[Array, "n outputs"],
    drift: Drift,
    diffusion: Float[Array, " outputs"],
) -> Float[Array, ""]:
    """Return ``(div v + v . s) / n`` for one configuration, with ``v = b - D s``.

    Args:
        scores: score of every particle in the network's order.
        score_diagonal: ``d s_{i,a} / d z_{i,a}`` of every particle.
        drift: drift and its own-block divergence.
        diffusion: the diagonal of ``D`` per output component (``gamma``, then ``eps``).
    """
    velocity = drift.value - diffusion * scores
    divergence = drift.divergence - jnp.sum(diffusion * score_diagonal, axis=-1)
    return jnp.mean(divergence + jnp.sum(velocity * scores, axis=-1))


def score_matching_loss(
    model: ScoreNetwork,
    inputs: ScoreInputs,
    key: PRNGKeyArray,
    loss: LossConfig,
    drift: Drift | None = None,
    diffusion: Float[Array, " outputs"] | None = None,
) -> Float[Array, ""]:
    """Return the configured loss of one configuration, plus the Fokker-Planck penalty if set."""
    key_main, key_fp = jax.random.split(key)
    if loss.kind == "denoising":
        value = denoising_loss(model, inputs, key_main, loss)
    else:
        value = implicit_loss(model, inputs, key_main, loss)
    if loss.fokker_planck_weight > 0:
        if drift is None or diffusion is None or not model.config.score_positions:
            raise ValueError(
                "fokker_planck_weight > 0 needs the drift of every sample, the diffusion and a network "
                "with score_positions=True (the residual involves the full score)."
            )
        scores, diagonal = _scores_and_diagonal(model, inputs, key_fp, loss.hutchinson)
        residual = fokker_planck_residual(scores, diagonal, drift, diffusion)
        value = value + loss.fokker_planck_weight * residual**2
    return value
