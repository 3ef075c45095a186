"""Entropy production and probability current from a learned score.

For ``dz = b(z) dt + sqrt(2 D) dW`` with stationary density ``p`` and score ``s = grad log p``,
the probability current is ``J = v p`` with the probability-flow velocity ``v = b - D s``, and
the entropy production rate (EPR, k_B per unit time) is ``<v^T D^{-1} v>``. Summed per
particle it splits into local contributions ``v_i^T D_i^{-1} v_i``.

For AOUP self-propulsion, ``b_g = -gamma g`` and ``D_g = gamma``, so the ``g``-part of the
EPR of particle ``i`` is ``gamma |g_i + s_{g,i}|^2``. Integrating by parts with
``<g . s_g> = -d`` and ``<|s_g|^2> = -<div_g s_g>`` (Stein identities, exact for the true
score) gives a second estimator ``gamma (|g_i|^2 - 2 d - div_g s_{g,i})`` whose agreement with
the first checks the learned score. Source: N. M. Boffi and E. Vanden-Eijnden, "Deep
learning probability flows and entropy production rates in active matter",
arXiv:2309.12991 (2023).
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

__all__ = [
    "EntropyProductionEstimate",
    "SpatialMap",
    "entropy_production",
    "estimator_agreement",
    "local_entropy_production",
    "probability_flow_velocity",
    "propulsion_entropy_production",
    "propulsion_entropy_production_divergence",
    "spatial_map",
]


def probability_flow_velocity(
    scores: Float[Array, "*batch n outputs"],
    drift: Float[Array, "*batch n outputs"],
    diffusion: Float[Array, " outputs"],
) -> Float[Array, "*batch n outputs"]:
    """Evaluate ``v = b - D s`` per particle, for a diagonal ``D`` given per component."""
    return drift - diffusion * scores


def local_entropy_production(
    velocity: Float[Array, "*batch n outputs"], diffusion: Float[Array, " outputs"]
) -> Float[Array, "*batch n"]:
    """Evaluate the EPR of every particle, ``v_i^T D^{-1} v_i``.

    Raises:
        ValueError: if a diffusion component is not positive (that component carries no
            noise, so its share of ``v^T D^{-1} v`` is undefined; leave it out of the outputs).
    """
    diffusion_np = np.asarray(diffusion)
    if np.any(diffusion_np <= 0):
        raise ValueError(
            f"every diffusion component must be > 0, got {diffusion_np.tolist()}; with eps = 0 evaluate "
            "only the g components (a network without score_positions)."
        )
    return jnp.sum(velocity**2 / diffusion, axis=-1)


def propulsion_entropy_production(
    propulsion: Float[Array, "*batch n d"], score_g: Float[Array, "*batch n d"], gamma: float
) -> Float[Array, "*batch n"]:
    """Evaluate the ``g``-part of the EPR per particle, ``gamma |g_i + s_{g,i}|^2``."""
    return gamma * jnp.sum((propulsion + score_g) ** 2, axis=-1)


def propulsion_entropy_production_divergence(
    propulsion: Float[Array, "*batch n d"], score_g_diagonal: Float[Array, "*batch n d"], gamma: float
) -> Float[Array, "*batch n"]:
    """Evaluate the divergence form of the ``g``-part, ``gamma (|g_i|^2 - 2 d - div_g s_{g,i})``.

    ``score_g_diagonal`` holds ``d s_{g,i,a} / d g_{i,a}`` from
    :func:`~jaxsim.active.learning.score.particle_scores_and_jacobian_diagonal`. Its mean
    equals that of :func:`propulsion_entropy_production` only for the true score.
    """
    d = propulsion.shape[-1]
    return gamma * (jnp.sum(propulsion**2, axis=-1) - 2.0 * d - jnp.sum(score_g_diagonal, axis=-1))


class EntropyProductionEstimate(eqx.Module):
    """Sample mean of the EPR of a system with its standard error.

    Attributes:
        total: mean over samples of the EPR summed over particles.
        standard_error: standard error of ``total`` over samples, assuming independent
            samples (snapshots of one trajectory must be spaced beyond its correlation time).
        per_particle: ``total / n``.
        per_particle_mean: mean local EPR of each particle label, shape ``(n,)``.
    """

    total: Float[Array, ""]
    standard_error: Float[Array, ""]
    per_particle: Float[Array, ""]
    per_particle_mean: Float[Array, " n"]


def entropy_production(local: Float[Array, "samples n"]) -> EntropyProductionEstimate:
    """Average local EPRs of shape ``(samples, n)`` into the total EPR with its standard error.

    Raises:
        ValueError: for fewer than two samples or a non-finite value.
    """
    if local.ndim != 2 or local.shape[0] < 2:
        raise ValueError(f"local EPR must have shape (samples >= 2, n), got {local.shape}.")
    local_np = np.asarray(local)
    if not np.isfinite(local_np).all():
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(local_np))[0])
        raise ValueError(f"local EPR has a non-finite value at (sample, particle) {first}.")
    totals = jnp.sum(local, axis=1)
    n_samples, n = local.shape
    total = jnp.mean(totals)
    standard_error = jnp.std(totals, ddof=1) / jnp.sqrt(n_samples)
    return EntropyProductionEstimate(total, standard_error, total / n, jnp.mean(local, axis=0))


def estimator_agreement(first: Float[Array, ""], second: Float[Array, ""]) -> Float[Array, ""]:
    """Return the relative difference ``|first - second| / |first|`` of two EPR estimates."""
    return jnp.abs(first - second) / jnp.abs(first)


class SpatialMap(eqx.Module):
    """Particle values binned on a square grid over the periodic box.

    Attributes:
        mean: mean value per particle in each cell, zero where ``counts`` is zero, shape
            ``(bins, bins, *value_shape)``; axis 0 is ``x``, axis 1 is ``y``.
        density: sum of values per cell divided by samples and cell area (an EPR density per
            unit area when the values are local EPRs).
        counts: particles per cell over all samples.
        edges: bin edges along each axis, shape ``(bins + 1,)``.
    """

    mean: Array
    density: Array
    counts: Array
    edges: Array


def spatial_map(
    positions: Float[Array, "samples n 2"],
    values: Float[Array, "samples n *channels"],
    box_size: float,
    bins: int,
) -> SpatialMap:
    """Bin per-particle values (local EPR, current ``v_x``) on a ``bins x bins`` grid.

    Positions are wrapped into ``[0, box_size)`` first. Works on 2-D systems.

    Raises:
        ValueError: for positions that are not 2-D, mismatched leading shapes, a
            non-positive box or bin count.
    """
    if positions.ndim != 3 or positions.shape[-1] != 2:
        raise ValueError(f"positions must have shape (samples, n, 2), got {positions.shape}.")
    if values.shape[:2] != positions.shape[:2]:
        raise ValueError(f"values must start with (samples, n) = {positions.shape[:2]}, got {values.shape}.")
    if box_size <= 0 or bins < 1:
        raise ValueError(f"box_size and bins must be positive, got {box_size} and {bins}.")
    wrapped = jnp.mod(positions, box_size)
    cell = jnp.clip(jnp.floor(wrapped / box_size * bins).astype(jnp.int32), 0, bins - 1)
    flat = (cell[..., 0] * bins + cell[..., 1]).reshape(-1)
    channels = values.shape[2:]
    flat_values = values.reshape((-1,) + channels)
    sums = jnp.zeros((bins * bins,) + channels, values.dtype).at[flat].add(flat_values)
    counts = jnp.zeros((bins * bins,), jnp.int32).at[flat].add(1)
    safe = jnp.maximum(counts, 1).reshape((-1,) + (1,) * len(channels))
    mean = jnp.where(counts.reshape(safe.shape) > 0, sums / safe, 0.0)
    area = (box_size / bins) ** 2
    density = sums / (positions.shape[0] * area)
    shape = (bins, bins)
    return SpatialMap(
        mean=mean.reshape(shape + channels),
        density=density.reshape(shape + channels),
        counts=counts.reshape(shape),
        edges=jnp.linspace(0.0, box_size, bins + 1),
    )
