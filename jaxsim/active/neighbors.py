"""Neighbour lists from cell lists in O(N) time and memory, with fixed capacities for jit.

A cell list bins particles into a grid of cells whose side is at least the search radius
``cutoff + skin``. Every neighbour of a particle then lies in its own cell or one of the ``3**d``
adjacent ones (Allen and Tildesley 2017, "Computer Simulation of Liquids", 2nd ed., section 5.3).
Each cell holds at most ``cell_capacity`` particles and each particle at most ``capacity``
neighbours, so every array has a fixed shape and the build runs inside ``jit``. When a count
exceeds its capacity the list sets ``overflow``; the driver then grows the capacities and repeats
the affected steps (:mod:`jaxsim.active.simulate`), so no neighbour is silently dropped.

The Verlet skin (Verlet 1967, Phys. Rev. 159, 98) lets a list serve many steps: it holds every
pair closer than ``cutoff + skin`` when built, and stays exact while no particle has moved more
than ``skin / 2`` since, because two particles then approach by less than ``skin``.

In a periodic box the grid has ``m = floor(L / (cutoff + skin))`` cells per side. In open space
the grid is a hashed one: cell coordinates are taken modulo ``m``, so distant particles can share
a cell (which costs only capacity, never a missed neighbour). Grids with fewer than three cells per
side, and systems for which ``method="dense"`` is requested, use the dense O(N^2) search, which also
serves as the oracle in tests.

A cell-list build sorts the particles by cell, measures each one against the slots of its
stencil cells and packs the hits as bits. A ``while_loop`` then takes the lowest set bit of every
particle per pass, so its passes number the largest neighbour count, and no prefix sum or
scatter runs over the padded candidates.

Padded entries of an index array hold the sentinel ``n`` (the particle count).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from jaxsim.active.space import OpenSpace, PeriodicBox, Space, ball_volume

__all__ = [
    "CellGrid",
    "NeighborList",
    "NeighborSpec",
    "allocate",
    "build",
    "cell_grid",
    "dense_neighbor_indices",
    "grow",
    "k_nearest_neighbors",
    "k_nearest_neighbors_dense",
    "needs_rebuild",
    "neighbor_spec",
    "update",
]


@dataclasses.dataclass(frozen=True)
class CellGrid:
    """A grid of ``cells_per_side ** dim`` cells, each holding up to ``cell_capacity`` particles.

    Attributes:
        cells_per_side: cells along each axis, at least 3.
        cell_size: side of a cell in length units, at least the search radius.
        cell_capacity: maximum particles per cell.
        dim: number of spatial dimensions.
        periodic: whether the grid tiles a periodic box (else it is hashed over open space).
    """

    cells_per_side: int
    cell_size: float
    cell_capacity: int
    dim: int
    periodic: bool

    @property
    def n_cells(self) -> int:
        return self.cells_per_side**self.dim


def cell_grid(space: Space, radius: float, n: int, *, cell_capacity: int | None = None) -> CellGrid | None:
    """Build the cell grid for a search ``radius``, or return None when a grid cannot help.

    In a periodic box the grid has ``floor(L / radius)`` cells per side; None is returned when that
    is below 3. In open space the hashed grid has about ``n / 2`` cells with side ``radius``.
    The default ``cell_capacity`` is ``2 mu + 4 sqrt(mu) + 4`` for a mean occupancy ``mu``. In a
    periodic box ``mu`` is the mean number per cell. In open space, where the density is unknown,
    ``mu`` is the number of balls of half the search radius that a cell's volume can contain.
    """
    if not radius > 0:
        raise ValueError(f"the search radius must be positive, got radius={radius}.")
    dim = space.dim
    if isinstance(space, PeriodicBox):
        per_side = int(math.floor(space.side / radius))
        if per_side < 3:
            return None
        size = space.side / per_side
        mean = n * size**dim / space.volume
    elif isinstance(space, OpenSpace):
        per_side = max(3, int(round((max(n, 1) / 2) ** (1.0 / dim))))
        size = float(radius)
        mean = size**dim / ball_volume(radius / 2, dim)
    else:
        raise ValueError(f"space must be a PeriodicBox or an OpenSpace, got {type(space).__name__}.")
    if cell_capacity is None:
        cell_capacity = int(math.ceil(2 * mean + 4 * math.sqrt(mean) + 4))
    if cell_capacity < 1:
        raise ValueError(f"cell_capacity must be >= 1, got {cell_capacity}.")
    return CellGrid(per_side, float(size), int(cell_capacity), dim, bool(space.periodic))


def _cell_coordinates(positions: Float[Array, "n d"], grid: CellGrid) -> Int[Array, "n d"]:
    if grid.periodic:
        # mod can round up to L itself in float32, hence the clip to the last cell.
        box = grid.cells_per_side * grid.cell_size
        coords = jnp.floor(jnp.mod(positions, box) / grid.cell_size).astype(jnp.int32)
        return jnp.clip(coords, 0, grid.cells_per_side - 1)
    coords = jnp.floor(positions / grid.cell_size).astype(jnp.int32)
    return jnp.mod(coords, grid.cells_per_side)


def _flat_cell(coords: Int[Array, "... d"], grid: CellGrid) -> Int[Array, "..."]:
    strides = jnp.asarray([grid.cells_per_side**axis for axis in range(grid.dim)], dtype=jnp.int32)
    return jnp.sum(coords * strides, axis=-1)


def _stencil(dim: int, half: bool = False) -> np.ndarray:
    offsets = list(itertools.product((-1, 0, 1), repeat=dim))
    if half:
        # The zero offset and the offsets whose first non-zero component is +1: each pair of
        # adjacent cells is then visited from exactly one side.
        offsets = [o for o in offsets if all(c == 0 for c in o) or next(c for c in o if c != 0) > 0]
        offsets.sort(key=lambda o: any(o))
    return np.asarray(offsets, dtype=np.int32)


def _sort_by_cell(cell: Int[Array, " n"], n_cells: int) -> tuple[Int[Array, " n"], Int[Array, " n"]]:
    """Return ``(order, sorted_cell)``: particle indices ordered by cell, ties by index."""
    n = cell.shape[0]
    if n * n_cells <= 2**32:
        # One sort of the key cell * n + index: XLA on CPU sorts a single integer operand about six
        # times faster than the key-value pair that a stable argsort needs (measured at n = 4096).
        key = jnp.sort(cell.astype(jnp.uint32) * jnp.uint32(n) + jnp.arange(n, dtype=jnp.uint32))
        return (key % jnp.uint32(n)).astype(jnp.int32), (key // jnp.uint32(n)).astype(jnp.int32)
    order = jnp.argsort(cell, stable=True).astype(jnp.int32)
    return order, cell[order]


def _cell_table(
    positions: Float[Array, "n d"], grid: CellGrid
) -> tuple[Int[Array, "cells c"], Int[Array, "n d"], Int[Array, ""]]:
    """Bin particles into cells; return ``(table, cell coordinates, largest cell count)``.

    Row ``c`` of the table lists the particles in cell ``c`` in ascending order, padded with ``n``.
    """
    n = positions.shape[0]
    coords = _cell_coordinates(positions, grid)
    cell = _flat_cell(coords, grid)
    counts = jnp.zeros(grid.n_cells, jnp.int32).at[cell].add(1)
    order, sorted_cell = _sort_by_cell(cell, grid.n_cells)
    starts = jnp.cumsum(counts) - counts
    rank = jnp.arange(n, dtype=jnp.int32) - starts[sorted_cell]
    table = jnp.full((grid.n_cells, grid.cell_capacity), n, jnp.int32)
    table = table.at[sorted_cell, rank].set(order, mode="drop")
    return table, coords, jnp.max(counts)


def _candidates(positions: Float[Array, "n d"], grid: CellGrid) -> tuple[Int[Array, "n m"], Int[Array, ""]]:
    """Return every particle in the ``3**d`` cells around each particle, and the largest cell count."""
    table, coords, max_count = _cell_table(positions, grid)
    stencil = jnp.asarray(_stencil(grid.dim))
    around = jnp.mod(coords[:, None, :] + stencil[None, :, :], grid.cells_per_side)
    cells = _flat_cell(around, grid)
    candidates = table[cells].reshape(positions.shape[0], -1)
    return candidates, max_count


def _compact(
    candidates: Int[Array, "n m"], valid: Bool[Array, "n m"], capacity: int
) -> tuple[Int[Array, "n k"], Int[Array, ""]]:
    """Keep the first ``capacity`` valid candidates of each row; return them and the largest count."""
    n = candidates.shape[0]
    slot = jnp.cumsum(valid, axis=1, dtype=jnp.int32) - 1
    slot = jnp.where(valid, slot, capacity)
    rows = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[:, None], candidates.shape)
    out = jnp.full((n, capacity), n, jnp.int32).at[rows, slot].set(candidates, mode="drop")
    return out, jnp.max(jnp.sum(valid, axis=1, dtype=jnp.int32))


def _pair_valid(
    positions: Float[Array, "n d"],
    candidates: Int[Array, "n m"],
    space: Space,
    radius: float,
    ordered_columns: int = 0,
) -> Bool[Array, "n m"]:
    """Mark candidates within ``radius``; in the first ``ordered_columns`` columns keep only ``j > i``."""
    n = positions.shape[0]
    safe = jnp.minimum(candidates, n - 1)
    wrapped = space.wrap(positions)
    delta = space.wrapped_displacement(wrapped[safe], wrapped[:, None, :])
    distance2 = jnp.sum(delta**2, axis=-1)
    index = jnp.arange(n, dtype=jnp.int32)[:, None]
    allowed = candidates != index
    if ordered_columns:
        column = jnp.arange(candidates.shape[1])[None, :]
        allowed = jnp.where(column < ordered_columns, candidates > index, allowed)
    return (candidates < n) & allowed & (distance2 < radius**2)


def _compact_pairs(
    candidates: Int[Array, "n m"], valid: Bool[Array, "n m"], capacity: int
) -> tuple[Int[Array, "2 p"], Int[Array, ""]]:
    """Pack the valid ``(i, j)`` into ``capacity`` columns of a ``(2, capacity)`` array; return the count."""
    n = candidates.shape[0]
    flat_valid = valid.reshape(-1)
    slot = jnp.cumsum(flat_valid, dtype=jnp.int32) - 1
    slot = jnp.where(flat_valid, slot, capacity)
    first = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[:, None], candidates.shape).reshape(-1)
    pairs = jnp.full((2, capacity), n, jnp.int32)
    pairs = pairs.at[0, slot].set(first, mode="drop").at[1, slot].set(candidates.reshape(-1), mode="drop")
    return pairs, jnp.sum(flat_valid, dtype=jnp.int32)


def _ctz(x: Array) -> Array:
    """Count the trailing zero bits of each nonzero ``uint32``."""
    lowest = x & (~x + jnp.uint32(1))
    return jax.lax.population_count(lowest - jnp.uint32(1)).astype(jnp.int32)


def _cell_hits(
    positions: Float[Array, "n d"], space: Space, grid: CellGrid, radius: float, half: bool
) -> tuple[Array, Int[Array, "cells c"], Int[Array, "n w"], Int[Array, ""]]:
    """Mark the candidates within ``radius`` as bits: one ``uint32`` word per 32 slots of a cell.

    Bit ``b`` of word ``q`` of particle ``i`` is slot ``32 (q mod chunks) + b`` of the
    cell ``cells[i, q // chunks]`` of the stencil around ``i``, with ``chunks = ceil(c / 32)``.
    The candidates' coordinates come from per-cell tables gathered row by row, which XLA on CPU
    does far faster than one gather per candidate. With ``half``, the stencil is the forward half
    and only ``j > i`` counts in the own cell, so that each pair is marked once.

    Returns:
        ``(words (n, w * chunks), table, cells (n, w), largest cell count)``.
    """
    n, dim = positions.shape
    capacity = grid.cell_capacity
    wrapped = space.wrap(positions)
    table, coords, max_count = _cell_table(wrapped, grid)
    stencil = jnp.asarray(_stencil(dim, half))
    cells = _flat_cell(jnp.mod(coords[:, None, :] + stencil[None, :, :], grid.cells_per_side), grid)
    candidates = table[cells]  # (n, w, c)
    safe_table = jnp.minimum(table, n - 1)
    distance2 = jnp.zeros(candidates.shape, positions.dtype)
    for axis in range(dim):
        coordinate = wrapped[:, axis]
        delta = space.wrapped_displacement(coordinate[safe_table][cells], coordinate[:, None, None])
        distance2 = distance2 + delta * delta
    index = jnp.arange(n, dtype=jnp.int32)[:, None, None]
    allowed = candidates != index
    if half:
        own = jnp.arange(stencil.shape[0])[None, :, None] == 0
        allowed = jnp.where(own, candidates > index, allowed)
    hits = (candidates < n) & allowed & (distance2 < radius**2)
    chunks = -(-capacity // 32)
    if chunks > 1:
        hits = jnp.pad(hits, ((0, 0), (0, 0), (0, 32 * chunks - capacity)))
    hits = hits.reshape(n, stencil.shape[0], chunks, -1).astype(jnp.uint32)
    shifts = jnp.arange(hits.shape[-1], dtype=jnp.uint32)
    words = jnp.sum(hits << shifts, axis=-1, dtype=jnp.uint32).reshape(n, -1)
    return words, table, cells, max_count


def _unpack_hits(
    words: Array, table: Int[Array, "cells c"], cells: Int[Array, "n w"], capacity: int, pairs: bool
) -> tuple[Int[Array, "..."], Int[Array, ""]]:
    """Turn hit bits into neighbour indices; return them and the count that had to fit ``capacity``.

    Each pass of a ``while_loop`` takes the lowest set bit of every particle, so the number of
    passes is the largest neighbour count. Neighbours keep the order of the stencil and the
    cell rows. ``pairs``: a ``(2, capacity)`` array of ``(i, j)`` in the order of ``i``, and the
    number of pairs. Otherwise: rows of shape ``(n, capacity)`` and the largest row count.
    """
    n = words.shape[0]
    chunks = words.shape[1] // cells.shape[1]
    counts = jnp.sum(jax.lax.population_count(words), axis=1, dtype=jnp.int32)
    index = jnp.arange(n, dtype=jnp.int32)
    if pairs:
        offsets = jnp.cumsum(counts) - counts
        out = jnp.full((2, capacity), n, jnp.int32)
        needed = jnp.sum(counts)
    else:
        out = jnp.full((n, capacity), n, jnp.int32)
        needed = jnp.max(counts)

    def pending(carry):
        return jnp.any(carry[0] != 0)

    def take_lowest(carry):
        remaining, k, out = carry
        nonzero = remaining != 0
        word = jnp.argmax(nonzero, axis=0).astype(jnp.int32)
        bits = jnp.take_along_axis(remaining, word[None, :], axis=0)[0]
        slot = 32 * (word % chunks) + _ctz(bits)
        cell = jnp.take_along_axis(cells, (word // chunks)[:, None], axis=1)[:, 0]
        neighbor = table[cell, jnp.minimum(slot, table.shape[1] - 1)]
        found = jnp.any(nonzero, axis=0)
        if pairs:
            position = jnp.where(found, offsets + k, capacity)
            out = out.at[0, position].set(index, mode="drop").at[1, position].set(neighbor, mode="drop")
        else:
            out = out.at[:, k].set(jnp.where(found, neighbor, n), mode="drop")
        taken = jnp.arange(remaining.shape[0])[:, None] == word[None, :]
        cleared = jnp.where(taken, remaining & (remaining - jnp.uint32(1)), remaining)
        return cleared, k + 1, out

    _, _, out = jax.lax.while_loop(pending, take_lowest, (words.T, jnp.zeros((), jnp.int32), out))
    return out, needed


@dataclasses.dataclass(frozen=True)
class NeighborSpec:
    """Static settings of a neighbour list: radii and capacities, which fix the array shapes.

    Attributes:
        cutoff: interaction range in length units.
        skin: extra search distance; the list stays valid while no particle moved ``skin / 2``.
        capacity: maximum neighbours stored per particle (format ``"rows"``) or maximum pairs
            stored in all (format ``"pairs"``).
        grid: the cell grid, or None for the dense O(N^2) search.
        format: ``"rows"``: ``indices`` of shape ``(n, capacity)``, every pair listed from both
            sides. ``"pairs"``: ``indices`` of shape ``(2, capacity)``, each pair ``(i, j)`` once.
            The pair format does about half the work of the row format and, at a mean neighbour
            count well below the largest one, wastes far fewer padded entries.
    """

    cutoff: float
    skin: float
    capacity: int
    grid: CellGrid | None
    format: str = "rows"

    @property
    def radius(self) -> float:
        return self.cutoff + self.skin

    @property
    def method(self) -> str:
        return "dense" if self.grid is None else "cell"


class NeighborList(eqx.Module):
    """Neighbours of each particle within ``cutoff + skin`` at the last build.

    Attributes:
        indices: format ``"rows"``: neighbour indices of shape ``(n, capacity)``, row ``i`` padded
            with ``n`` after its last neighbour. Format ``"pairs"``: shape ``(2, capacity)``, each
            pair ``(i, j)`` once, padded with ``n``.
        reference_positions: positions at the last build, to test the skin criterion.
        image_offsets: ``reference_positions`` minus their images wrapped into the box (zero in
            open space). ``positions - image_offsets`` stays within ``skin / 2`` of the box while
            the list is valid, so pair kernels get minimum images by compare and select alone.
        overflow: True if a cell or a row ran out of capacity at any build since allocation.
            Sticky, so one check after many steps catches every overflow.
        max_neighbors: largest count that had to fit in ``capacity`` at any build: the neighbours of
            one particle (``"rows"``) or all pairs (``"pairs"``).
        max_cell_occupancy: largest cell count seen at any build (0 for the dense method).
        n_builds: number of builds since allocation.
        spec: the static settings.
    """

    indices: Int[Array, "n k"] | Int[Array, "2 p"]
    reference_positions: Float[Array, "n d"]
    image_offsets: Float[Array, "n d"]
    overflow: Bool[Array, ""]
    max_neighbors: Int[Array, ""]
    max_cell_occupancy: Int[Array, ""]
    n_builds: Int[Array, ""]
    spec: NeighborSpec = eqx.field(static=True)


def _check_positions(positions: Float[ArrayLike, "n d"], space: Space) -> Array:
    positions = jnp.asarray(positions)
    if positions.ndim != 2 or positions.shape[1] != space.dim:
        raise ValueError(
            f"positions must have shape (n, {space.dim}) for a {space.dim}-dimensional space, "
            f"got shape {positions.shape}."
        )
    if positions.shape[0] < 1:
        raise ValueError("positions must hold at least one particle, got 0.")
    return positions


def neighbor_spec(
    space: Space,
    n: int,
    cutoff: float,
    skin: float,
    *,
    capacity: int | None = None,
    cell_capacity: int | None = None,
    method: str = "auto",
    format: str = "rows",
) -> NeighborSpec:
    """Choose the grid and capacities for ``n`` particles without looking at positions.

    In a periodic box the default ``capacity`` is ``2 mu + 4 sqrt(mu) + 8`` (format ``"rows"``) or
    ``0.75 n mu + 64`` (format ``"pairs"``), for ``mu`` the mean number of particles in a ball of
    ``cutoff + skin``. Open space has no mean density, so there ``capacity`` is required. Use
    :func:`allocate` to size capacities from actual positions.

    Args:
        method: ``"cell"``, ``"dense"`` or ``"auto"`` (cell list when the grid has 3 or more
            cells per side, else dense).
    """
    if not (isinstance(n, int) and n > 0):
        raise ValueError(f"the particle number n must be a positive integer, got n={n!r}.")
    if not cutoff > 0:
        raise ValueError(f"cutoff must be positive, got cutoff={cutoff}.")
    if not skin >= 0:
        raise ValueError(f"skin must be >= 0, got skin={skin}.")
    if method not in ("auto", "cell", "dense"):
        raise ValueError(f"method must be 'auto', 'cell' or 'dense', got {method!r}.")
    if format not in ("rows", "pairs"):
        raise ValueError(f"format must be 'rows' or 'pairs', got {format!r}.")
    radius = cutoff + skin
    grid = None if method == "dense" else cell_grid(space, radius, n, cell_capacity=cell_capacity)
    if method == "cell" and grid is None:
        raise ValueError(
            f"a box of side {space.side:.4g} holds fewer than 3 cells of side {radius:.4g}; "
            "use method='dense' or a larger box."
        )
    if capacity is None:
        if not isinstance(space, PeriodicBox):
            raise ValueError("open space needs an explicit neighbour capacity; pass capacity= or use allocate().")
        mean = n * ball_volume(radius, space.dim) / space.volume
        if format == "rows":
            capacity = int(math.ceil(2 * mean + 4 * math.sqrt(mean) + 8))
        else:
            capacity = int(math.ceil(1.5 * n * mean / 2 + 64))
    if capacity < 1:
        raise ValueError(f"capacity must be >= 1, got {capacity}.")
    return NeighborSpec(float(cutoff), float(skin), int(min(capacity, _max_capacity(n, format))), grid, format)


def _max_capacity(n: int, format: str) -> int:
    return n if format == "rows" else max(n * (n - 1) // 2, 1)


def build(positions: Float[ArrayLike, "n d"], space: Space, spec: NeighborSpec) -> NeighborList:
    """Build a neighbour list of every pair closer than ``spec.cutoff + spec.skin``.

    Runs under ``jit`` and ``vmap``. Rows are in ascending candidate order within each cell,
    which is not sorted by distance. ``overflow`` is set when a cell or a row ran out of room.
    """
    return _build(_check_positions(positions, space), space, spec)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _build(positions: Float[Array, "n d"], space: Space, spec: NeighborSpec) -> NeighborList:
    n = positions.shape[0]
    half = spec.format == "pairs"
    if spec.grid is None:
        candidates = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (n, n))
        max_cell = jnp.zeros((), jnp.int32)
        cell_overflow = jnp.zeros((), bool)
        valid = _pair_valid(positions, candidates, space, spec.radius, n if half else 0)
        if half:
            indices, max_neighbors = _compact_pairs(candidates, valid, spec.capacity)
        else:
            indices, max_neighbors = _compact(candidates, valid, spec.capacity)
    else:
        words, table, cells, max_cell = _cell_hits(positions, space, spec.grid, spec.radius, half)
        cell_overflow = max_cell > spec.grid.cell_capacity
        indices, max_neighbors = _unpack_hits(words, table, cells, spec.capacity, half)
    return NeighborList(
        indices=indices,
        reference_positions=positions,
        image_offsets=positions - space.wrap(positions),
        overflow=cell_overflow | (max_neighbors > spec.capacity),
        max_neighbors=max_neighbors,
        max_cell_occupancy=max_cell,
        n_builds=jnp.ones((), jnp.int32),
        spec=spec,
    )


def needs_rebuild(neighbors: NeighborList, positions: Float[Array, "n d"], space: Space) -> Bool[Array, ""]:
    """Return whether some particle moved more than ``skin / 2`` since the last build.

    Uses the plain difference of positions: a position wrapped into the box since the build
    counts as a large move, which costs one extra rebuild and never misses a neighbour.
    """
    del space  # the plain difference needs no box
    moved = positions - neighbors.reference_positions
    return jnp.max(jnp.sum(moved**2, axis=-1)) > (0.5 * neighbors.spec.skin) ** 2


@functools.partial(jax.jit, static_argnums=2)
def update(neighbors: NeighborList, positions: Float[Array, "n d"], space: Space) -> NeighborList:
    """Rebuild the list when the skin criterion fails, else keep it; overflow stays sticky."""

    def rebuild(old: NeighborList) -> NeighborList:
        new = build(positions, space, old.spec)
        return NeighborList(
            indices=new.indices,
            reference_positions=new.reference_positions,
            image_offsets=new.image_offsets,
            overflow=old.overflow | new.overflow,
            max_neighbors=jnp.maximum(old.max_neighbors, new.max_neighbors),
            max_cell_occupancy=jnp.maximum(old.max_cell_occupancy, new.max_cell_occupancy),
            n_builds=old.n_builds + 1,
            spec=old.spec,
        )

    return jax.lax.cond(needs_rebuild(neighbors, positions, space), rebuild, lambda old: old, neighbors)


def allocate(
    positions: Float[ArrayLike, "n d"],
    space: Space,
    cutoff: float,
    skin: float,
    *,
    capacity_factor: float = 1.5,
    method: str = "auto",
    min_capacity: int = 4,
    format: str = "rows",
) -> NeighborList:
    """Size the capacities from concrete ``positions`` and build the list (call outside ``jit``).

    The neighbour and cell capacities are the counts found in ``positions`` times
    ``capacity_factor``, plus ``min_capacity``, so that moderate density fluctuations fit.
    """
    positions = _check_positions(positions, space)
    if not capacity_factor >= 1:
        raise ValueError(f"capacity_factor must be >= 1, got {capacity_factor}.")
    n = positions.shape[0]
    probe = neighbor_spec(space, n, cutoff, skin, capacity=1, method=method, format=format)
    grid = probe.grid
    if grid is not None:
        # First the cell counts alone, then the neighbour counts with cells that fit exactly.
        max_cell = int(_max_cell_count(positions, grid))
        grid = dataclasses.replace(grid, cell_capacity=max(max_cell, 1))
    count = int(_max_pair_count(positions, space, dataclasses.replace(probe, grid=grid)))
    capacity = int(math.ceil(count * capacity_factor)) + min_capacity
    if grid is not None:
        cell_capacity = int(math.ceil(grid.cell_capacity * capacity_factor)) + min_capacity
        grid = dataclasses.replace(grid, cell_capacity=min(cell_capacity, n))
    spec = NeighborSpec(probe.cutoff, probe.skin, min(capacity, _max_capacity(n, format)), grid, format)
    return build(positions, space, spec)


@functools.partial(jax.jit, static_argnums=1)
def _max_cell_count(positions: Float[Array, "n d"], grid: CellGrid) -> Int[Array, ""]:
    cell = _flat_cell(_cell_coordinates(positions, grid), grid)
    return jnp.max(jnp.zeros(grid.n_cells, jnp.int32).at[cell].add(1))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _max_pair_count(positions: Float[Array, "n d"], space: Space, spec: NeighborSpec) -> Int[Array, ""]:
    """Count what ``capacity`` must hold: the largest row (``"rows"``) or all pairs (``"pairs"``)."""
    n = positions.shape[0]
    half = spec.format == "pairs"
    if spec.grid is None:
        candidates = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (n, n))
        valid = _pair_valid(positions, candidates, space, spec.radius, n if half else 0)
        counts = jnp.sum(valid, axis=1, dtype=jnp.int32)
    else:
        words, _, _, _ = _cell_hits(positions, space, spec.grid, spec.radius, half)
        counts = jnp.sum(jax.lax.population_count(words), axis=1, dtype=jnp.int32)
    return jnp.sum(counts) if half else jnp.max(counts)


def grow(spec: NeighborSpec, neighbors: NeighborList | None = None, *, factor: float = 2.0, n: int | None = None) -> NeighborSpec:
    """Return a spec whose capacities are ``factor`` times larger, and at least the counts seen.

    Args:
        spec: the spec that overflowed.
        neighbors: a list built with ``spec``; its recorded maxima set a floor on the new sizes.
        factor: geometric growth factor, > 1.
        n: particle count, an upper bound on both capacities when given.
    """
    if not factor > 1:
        raise ValueError(f"factor must be > 1, got {factor}.")
    seen_rows = 0 if neighbors is None else int(neighbors.max_neighbors)
    seen_cells = 0 if neighbors is None else int(neighbors.max_cell_occupancy)
    capacity = max(int(math.ceil(spec.capacity * factor)), seen_rows + 1)
    grid = spec.grid
    if grid is not None:
        cell_capacity = max(int(math.ceil(grid.cell_capacity * factor)), seen_cells + 1)
        if n is not None:
            cell_capacity = min(cell_capacity, n)
        grid = dataclasses.replace(grid, cell_capacity=cell_capacity)
    if n is not None:
        capacity = min(capacity, _max_capacity(n, spec.format))
    return dataclasses.replace(spec, capacity=capacity, grid=grid)


def dense_neighbor_indices(
    positions: Float[ArrayLike, "n d"], space: Space, radius: float
) -> Bool[Array, "n n"]:
    """Return the boolean matrix of pairs closer than ``radius`` by the O(N^2) search (an oracle)."""
    return _dense_pairs(_check_positions(positions, space), space, float(radius))


@functools.partial(jax.jit, static_argnums=(1, 2))
def _dense_pairs(positions: Float[Array, "n d"], space: Space, radius: float) -> Bool[Array, "n n"]:
    n = positions.shape[0]
    candidates = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (n, n))
    return _pair_valid(positions, candidates, space, radius)


def _knn_from_candidates(
    positions: Float[Array, "n d"], candidates: Int[Array, "n m"], space: Space, k: int, radius: float
) -> tuple[Int[Array, "n k"], Float[Array, "n k d"], Bool[Array, ""]]:
    n = positions.shape[0]
    if candidates.shape[1] < k:
        raise ValueError(
            f"only {candidates.shape[1]} candidates per particle for k={k}; raise cell_capacity or lower k."
        )
    safe = jnp.minimum(candidates, n - 1)
    wrapped = space.wrap(positions)
    delta = space.wrapped_displacement(wrapped[safe], wrapped[:, None, :])
    distance2 = jnp.sum(delta**2, axis=-1)
    own = candidates == jnp.arange(n, dtype=jnp.int32)[:, None]
    valid = (candidates < n) & ~own & (distance2 < radius**2)
    score = jnp.where(valid, -jax.lax.stop_gradient(distance2), -jnp.inf)
    top_score, slot = jax.lax.top_k(score, k)
    found = jnp.isfinite(top_score)
    indices = jnp.where(found, jnp.take_along_axis(candidates, slot, axis=1), n)
    displacements = jnp.take_along_axis(delta, slot[..., None], axis=1)
    displacements = jnp.where(found[..., None], displacements, 0.0)
    return indices, displacements, ~jnp.all(found)


def _default_knn_radius(space: Space, n: int, k: int) -> float:
    if not isinstance(space, PeriodicBox):
        raise ValueError("open space has no mean density; pass the search radius= to k_nearest_neighbors.")
    # A ball holding 4k + 8 particles at the mean density, so that regions at a quarter of the
    # mean density (the gas of a phase-separated system) still hold k.
    target = 4 * k + 8
    density = n / space.volume
    return (target / (density * ball_volume(1.0, space.dim))) ** (1.0 / space.dim)


def k_nearest_neighbors(
    positions: Float[ArrayLike, "n d"],
    space: Space,
    k: int,
    *,
    radius: float | None = None,
    cell_capacity: int | None = None,
) -> tuple[Int[Array, "n k"], Float[Array, "n k d"], Bool[Array, ""]]:
    """Find the ``k`` nearest neighbours of every particle from cell-list candidates.

    Only the particles in the ``3**d`` cells around each particle are ranked, so the cost is
    O(N k) rather than O(N^2). Neighbours are those within ``radius``; a particle with fewer than
    ``k`` of them gets padded entries and sets ``overflow``, as does a cell that ran out of
    capacity. When the box is too small for a grid of 3 cells per side, all particles are ranked.

    Args:
        positions: particle positions.
        space: a :class:`PeriodicBox` or :class:`OpenSpace`.
        k: neighbours per particle (static).
        radius: search radius (static). Default for a periodic box: the radius of a ball that holds
            ``4 k + 8`` particles at the mean density. Required in open space.
        cell_capacity: particles per cell; default as in :func:`cell_grid`.

    Returns:
        ``(indices, displacements, overflow)``: neighbour indices sorted by increasing distance
        (padding ``n``), displacements ``x_j - x_i`` by minimum image (padding zero), and a flag
        that is True if any particle found fewer than ``k`` neighbours or any cell overflowed.
        Displacements are differentiable with respect to ``positions``.
    """
    positions = _check_positions(positions, space)
    n = positions.shape[0]
    if not (isinstance(k, int) and 1 <= k < n):
        raise ValueError(f"k must be an integer in [1, n - 1] = [1, {n - 1}], got k={k!r}.")
    if radius is None:
        radius = _default_knn_radius(space, n, k)
    grid = cell_grid(space, radius, n, cell_capacity=cell_capacity)
    return _knn_cells(positions, space, k, float(radius), grid)


@functools.partial(jax.jit, static_argnums=(1, 2, 3, 4))
def _knn_cells(
    positions: Float[Array, "n d"], space: Space, k: int, radius: float, grid: CellGrid | None
) -> tuple[Int[Array, "n k"], Float[Array, "n k d"], Bool[Array, ""]]:
    n = positions.shape[0]
    if grid is None:
        candidates = jnp.broadcast_to(jnp.arange(n, dtype=jnp.int32)[None, :], (n, n))
        cell_overflow = jnp.zeros((), bool)
    else:
        candidates, max_cell = _candidates(positions, grid)
        cell_overflow = max_cell > grid.cell_capacity
    indices, displacements, short = _knn_from_candidates(positions, candidates, space, k, radius)
    return indices, displacements, short | cell_overflow


def k_nearest_neighbors_dense(
    positions: Float[ArrayLike, "n d"], space: Space, k: int, *, radius: float = math.inf
) -> tuple[Int[Array, "n k"], Float[Array, "n k d"], Bool[Array, ""]]:
    """Find the ``k`` nearest neighbours by ranking all pairs, O(N^2): the oracle for tests.

    Returns the same triple as :func:`k_nearest_neighbors`.
    """
    positions = _check_positions(positions, space)
    n = positions.shape[0]
    if not (isinstance(k, int) and 1 <= k < n):
        raise ValueError(f"k must be an integer in [1, n - 1] = [1, {n - 1}], got k={k!r}.")
    return _knn_cells(positions, space, k, float(radius), None)
