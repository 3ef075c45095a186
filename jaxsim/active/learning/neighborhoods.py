"""Network inputs from particle configurations, with the cell-list k-nearest-neighbour search.

The neighbours come from :func:`jaxsim.active.neighbors.k_nearest_neighbors`, which ranks
only the particles in the cells around each particle (O(N k) time and memory). A particle
that finds fewer than ``k`` neighbours within the search radius raises the search's
overflow flag; :func:`score_inputs` then doubles the radius (up to a bound) and searches
again instead of passing padded neighbours on to the network.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from jaxsim.active.learning.score import ScoreInputs
from jaxsim.active.neighbors import _default_knn_radius, k_nearest_neighbors
from jaxsim.active.space import PeriodicBox, Space

__all__ = ["score_inputs"]


def _search(positions: Array, space: Space, k: int, radius: float):
    search = jax.jit(lambda p: k_nearest_neighbors(p, space, k, radius=radius))
    if positions.ndim == 2:
        return search(positions)
    indices, displacements, overflow = jax.lax.map(search, positions)
    return indices, displacements, jnp.any(overflow)


def score_inputs(
    positions: Float[Array, "*samples n d"],
    propulsion: Float[Array, "*samples n d"],
    space: Space,
    k: int,
    *,
    anchor_displacement: Float[Array, "*samples n d"] | None = None,
    radius: float | None = None,
    max_growth: int = 4,
) -> ScoreInputs:
    """Find the ``k`` nearest neighbours of every particle and assemble :class:`ScoreInputs`.

    Args:
        positions: positions of one configuration ``(n, d)`` or of a batch ``(samples, n, d)``.
        propulsion: self-propulsion ``g``, same shape.
        space: the periodic box or open space of the system.
        k: neighbours per particle; must be at most ``n - 1``.
        anchor_displacement: displacement of each particle from its anchor, same shape, for
            trapped or tethered systems.
        radius: first search radius; default for a periodic box contains ``4 k + 8`` particles
            at the mean density. Required in open space.
        max_growth: how many times the radius may double after an overflow.

    Raises:
        ValueError: for mismatched shapes, ``k > n - 1``, non-finite positions or
            propulsion, or when ``max_growth`` doublings of the radius still leave a particle
            with fewer than ``k`` neighbours.
    """
    positions = jnp.asarray(positions)
    propulsion = jnp.asarray(propulsion)
    if positions.ndim not in (2, 3) or positions.shape[-1] != space.dim:
        raise ValueError(
            f"positions must have shape (n, {space.dim}) or (samples, n, {space.dim}), got {positions.shape}."
        )
    if propulsion.shape != positions.shape:
        raise ValueError(f"propulsion must have the shape of positions {positions.shape}, got {propulsion.shape}.")
    if anchor_displacement is not None and jnp.shape(anchor_displacement) != positions.shape:
        raise ValueError(
            f"anchor_displacement must have the shape of positions {positions.shape}, "
            f"got {jnp.shape(anchor_displacement)}."
        )
    n = positions.shape[-2]
    if not (isinstance(k, int) and 1 <= k <= n - 1):
        raise ValueError(f"k must be an integer in [1, N - 1] = [1, {n - 1}], got k={k!r}; lower k.")
    for name, leaf in (("positions", positions), ("propulsion", propulsion), ("anchor_displacement", anchor_displacement)):
        if leaf is not None and not np.isfinite(np.asarray(leaf)).all():
            first = tuple(int(i) for i in np.argwhere(~np.isfinite(np.asarray(leaf)))[0])
            raise ValueError(f"{name} has a non-finite value at index {first}; drop or fix that sample.")
    if radius is None:
        radius = _default_knn_radius(space, n, k)
    for _ in range(max_growth + 1):
        indices, displacements, overflow = _search(positions, space, k, radius)
        if not bool(overflow):
            break
        radius *= 2.0
        if isinstance(space, PeriodicBox):
            radius = min(radius, 0.5 * space.side * np.sqrt(space.dim) + 1e-6)
    else:
        raise ValueError(
            f"some particle has fewer than k={k} neighbours within radius {radius:.4g} after {max_growth} "
            "doublings; pass a larger radius= or a larger max_growth."
        )
    if anchor_displacement is not None:
        anchor_displacement = jnp.asarray(anchor_displacement)
    return ScoreInputs(propulsion, indices, displacements, anchor_displacement)
