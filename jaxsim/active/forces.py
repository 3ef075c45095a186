"""Forces on overdamped disks: a harmonic trap, pair repulsion and all-pairs harmonic springs.

Pair repulsion between disks of radius ``r`` at distance ``d`` acts along ``r_ij = x_i - x_j``
with magnitude ``f(d)``:

- soft harmonic disks: ``f(d) = k softplus_beta(2 r - d)``, where
  ``softplus_beta(u) = log(1 + exp(beta u)) / beta``. As ``beta -> inf`` this is the harmonic
  overlap force ``k max(2 r - d, 0)`` of the energy ``k / 2 (2 r - d)^2`` (Durian 1995, "Foam
  mechanics at the bubble scale", Phys. Rev. Lett. 75, 4780). For finite ``beta`` the force has
  an exponential tail, which is cut where it falls below ``tail * k``.
- WCA: ``f(d) = 24 epsilon / d (2 (sigma/d)^12 - (sigma/d)^6)`` for ``d < 2^(1/6) sigma`` and zero
  beyond, with ``sigma = 2 r`` (Weeks, Chandler and Andersen 1971, "Role of repulsive forces in
  determining the equilibrium structure of simple liquids", J. Chem. Phys. 54, 5237).

Every pair force is antisymmetric, so the pair forces of a system sum to zero. The trap adds
``-A x_i``. Springs of zero rest length between every pair add ``-k_s sum_j (x_i - x_j)``, the
linear model that :mod:`jaxsim.active.linear` solves exactly.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int

from jaxsim.active.neighbors import NeighborList
from jaxsim.active.space import Space

__all__ = [
    "PairPotential",
    "pair_forces",
    "pair_forces_dense",
    "soft_disks",
    "spring_forces",
    "trap_forces",
    "wca_disks",
]

_KINDS = ("soft_harmonic", "wca")


class PairPotential(eqx.Module):
    """A radially symmetric pair repulsion with a finite cutoff.

    Attributes:
        kind: ``"soft_harmonic"`` or ``"wca"`` (static).
        strength: ``k`` (force per length) for soft disks, ``epsilon`` (energy) for WCA.
        radius: disk radius ``r`` in length units.
        beta: sharpness of the softplus for soft disks (static); ``inf`` gives the exact
            harmonic overlap. Unused for WCA.
        cutoff: interaction range in length units (static); sets the neighbour search radius.
    """

    kind: str = eqx.field(static=True)
    strength: Float[Array, ""]
    radius: Float[Array, ""]
    beta: float = eqx.field(static=True)
    cutoff: float = eqx.field(static=True)

    def magnitude(self, distance: Float[Array, "..."]) -> Float[Array, "..."]:
        """Return the repulsive force magnitude ``f(d)``, zero at and beyond ``cutoff``."""
        if self.kind == "soft_harmonic":
            overlap = 2.0 * self.radius - distance
            if math.isinf(self.beta):
                force = self.strength * jnp.maximum(overlap, 0.0)
            else:
                force = self.strength * jax.nn.softplus(self.beta * overlap) / self.beta
        else:
            ratio6 = (2.0 * self.radius / distance) ** 6
            force = 24.0 * self.strength / distance * (2.0 * ratio6**2 - ratio6)
        return jnp.where(distance < self.cutoff, force, 0.0)


def _concrete(name: str, value: ArrayLike) -> float | None:
    try:
        return float(value)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def _check_positive(name: str, value: ArrayLike) -> None:
    concrete = _concrete(name, value)
    if concrete is not None and not concrete > 0:
        raise ValueError(f"{name} must be positive, got {name}={concrete}.")


def soft_disks(
    strength: Float[ArrayLike, ""] = 1.0,
    radius: Float[ArrayLike, ""] = 0.5,
    *,
    beta: float = math.inf,
    tail: float = 1e-6,
    cutoff: float | None = None,
) -> PairPotential:
    """Build the soft harmonic repulsion ``k softplus_beta(2 r - d)``.

    Args:
        strength: stiffness ``k`` (force per length).
        radius: disk radius ``r``.
        beta: softplus sharpness (per length); ``inf`` for the plain harmonic overlap.
        tail: for finite ``beta``, the cutoff is where ``f / k`` has fallen to ``tail``, at
            ``2 r + log(1 / (beta tail)) / beta``.
        cutoff: override of the cutoff; must be concrete.
    """
    _check_positive("strength", strength)
    _check_positive("radius", radius)
    if not beta > 0:
        raise ValueError(f"beta must be positive (inf for the exact harmonic overlap), got beta={beta}.")
    if cutoff is None:
        diameter = _concrete("radius", radius)
        if diameter is None:
            raise ValueError("a traced radius needs an explicit cutoff=; pass the largest 2 r it can take.")
        diameter *= 2.0
        if math.isinf(beta):
            cutoff = diameter
        else:
            if not 0 < tail < 1:
                raise ValueError(f"tail must lie in (0, 1), got tail={tail}.")
            cutoff = diameter + max(math.log(1.0 / (beta * tail)), 0.0) / beta
    return PairPotential("soft_harmonic", jnp.asarray(strength, float), jnp.asarray(radius, float), float(beta), float(cutoff))


def wca_disks(epsilon: Float[ArrayLike, ""] = 1.0, radius: Float[ArrayLike, ""] = 0.5) -> PairPotential:
    """Build the WCA repulsion of disks of ``radius`` (``sigma = 2 r``), cut at ``2^(1/6) sigma``."""
    _check_positive("epsilon", epsilon)
    _check_positive("radius", radius)
    concrete = _concrete("radius", radius)
    if concrete is None:
        raise ValueError("wca_disks needs a concrete radius, because it fixes the cutoff.")
    cutoff = 2.0 ** (1.0 / 6.0) * 2.0 * concrete
    return PairPotential("wca", jnp.asarray(epsilon, float), jnp.asarray(radius, float), math.inf, cutoff)


def _forces_from_candidates(
    positions: Float[Array, "n d"],
    candidates: Int[Array, "n k"],
    space: Space,
    potential: PairPotential,
    wrap: bool = True,
) -> Float[Array, "n d"]:
    n = positions.shape[0]
    safe = jnp.minimum(candidates, n - 1)
    wrapped = space.wrap(positions) if wrap else positions
    delta = space.wrapped_displacement(wrapped[:, None, :], wrapped[safe])
    distance2 = jnp.sum(delta**2, axis=-1)
    own = candidates == jnp.arange(n, dtype=candidates.dtype)[:, None]
    # Coincident particles have no direction between them, so they exert no force on each other.
    interacting = (candidates < n) & ~own & (distance2 < potential.cutoff**2) & (distance2 > 0)
    # The double where keeps gradients finite for padded entries and coincident particles.
    distance = jnp.sqrt(jnp.where(interacting, distance2, 1.0))
    scale = jnp.where(interacting, potential.magnitude(distance) / distance, 0.0)
    return jnp.sum(scale[..., None] * delta, axis=1)


def pair_forces(
    positions: Float[Array, "n d"], space: Space, neighbors: NeighborList, potential: PairPotential
) -> Float[Array, "n d"]:
    """Sum the pair repulsion on each particle over its neighbour list.

    The list must have been built with a ``cutoff`` at least ``potential.cutoff``, from positions
    that no particle has since left by more than ``skin / 2`` (what :func:`update` maintains).

    Returns:
        Forces ``F_i = sum_j f(|r_ij|) r_ij / |r_ij|`` with ``r_ij`` the minimum-image ``x_i - x_j``.
    """
    # Shifting by the images at the last build keeps every coordinate within skin / 2 of the box,
    # so the kernels need no wrap (whose floor() XLA does not vectorise on CPU).
    shifted = positions - neighbors.image_offsets
    if neighbors.spec.format == "pairs":
        return _forces_from_pairs(shifted, neighbors.indices, space, potential, wrap=False)
    return _forces_from_candidates(shifted, neighbors.indices, space, potential, wrap=False)


def _forces_from_pairs(
    positions: Float[Array, "n d"],
    pairs: Int[Array, "2 p"],
    space: Space,
    potential: PairPotential,
    wrap: bool = True,
) -> Float[Array, "n d"]:
    n, dim = positions.shape
    first, second = pairs[0], pairs[1]
    wrapped = space.wrap(positions) if wrap else positions
    safe_first, safe_second = jnp.minimum(first, n - 1), jnp.minimum(second, n - 1)
    # One coordinate at a time, because XLA on CPU runs gathers and arithmetic on flat arrays about
    # three times faster than on (pairs, d) rows (measured). The floating-point operations are the same.
    deltas = [space.wrapped_displacement(wrapped[:, a][safe_first], wrapped[:, a][safe_second]) for a in range(dim)]
    distance2 = deltas[0] * deltas[0]
    for delta in deltas[1:]:
        distance2 = distance2 + delta * delta
    interacting = (first < n) & (distance2 < potential.cutoff**2) & (distance2 > 0)
    distance = jnp.sqrt(jnp.where(interacting, distance2, 1.0))
    scale = jnp.where(interacting, potential.magnitude(distance) / distance, 0.0)
    # Newton's third law: the pair force acts on i and, reversed, on j. Padding (index n) is dropped.
    components = []
    for delta in deltas:
        force = scale * delta
        component = jnp.zeros(n, force.dtype).at[first].add(force, mode="drop")
        components.append(component.at[second].add(-force, mode="drop"))
    return jnp.stack(components, axis=-1)


def pair_forces_dense(
    positions: Float[Array, "n d"], space: Space, potential: PairPotential
) -> Float[Array, "n d"]:
    """Sum the pair repulsion over all pairs, O(N^2): the oracle for :func:`pair_forces`."""
    n = positions.shape[0]
    candidates = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (n, n))
    return _forces_from_candidates(positions, candidates, space, potential)


def trap_forces(positions: Float[Array, "n d"], stiffness: Float[ArrayLike, ""]) -> Float[Array, "n d"]:
    """Return the harmonic trap force ``-A x_i`` about the origin."""
    return -jnp.asarray(stiffness) * positions


def spring_forces(positions: Float[Array, "n d"], stiffness: Float[ArrayLike, ""]) -> Float[Array, "n d"]:
    """Return ``-k sum_j (x_i - x_j) = -k (n x_i - sum_j x_j)``: zero-length springs between all pairs.

    Uses plain differences, so it is meant for open space.
    """
    n = positions.shape[0]
    return -jnp.asarray(stiffness) * (n * positions - jnp.sum(positions, axis=0, keepdims=True))
