"""Tests of the cell-list neighbour list and the k-nearest-neighbour search against dense oracles."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.active import (
    allocate,
    build,
    dense_neighbor_indices,
    grow,
    k_nearest_neighbors,
    k_nearest_neighbors_dense,
    needs_rebuild,
    neighbor_spec,
    open_space,
    periodic_box,
    update,
)


def _pair_matrix(indices, n):
    matrix = np.zeros((n, n + 1), dtype=bool)
    matrix[np.arange(n)[:, None], np.asarray(indices)] = True
    return matrix[:, :n]


def _uniform(key, n, box):
    return jax.random.uniform(key, (n, box.dim), maxval=box.side)


def _clustered(key, n, box):
    # Half the particles packed in a corner straddling the periodic boundary: a dense phase.
    k1, k2 = jax.random.split(key)
    gas = jax.random.uniform(k1, (n - n // 2, box.dim), maxval=box.side)
    cluster = jax.random.uniform(k2, (n // 2, box.dim), minval=-0.15 * box.side, maxval=0.15 * box.side)
    return jnp.concatenate([gas, cluster])


@pytest.mark.parametrize(
    ("layout", "dim"),
    [
        (_uniform, 2),
        (_clustered, 2),
        pytest.param(_uniform, 3, marks=pytest.mark.slow),
        pytest.param(_clustered, 3, marks=pytest.mark.slow),
    ],
)
def test_cell_list_equals_dense(layout, dim):
    n = 600 if dim == 2 else 800
    box = periodic_box(n, 0.5, 0.5, dim=dim)
    positions = layout(jax.random.key(dim), n, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.25)
    assert neighbors.spec.method == "cell"
    assert not bool(neighbors.overflow)
    expected = np.asarray(dense_neighbor_indices(positions, box, 1.25))
    np.testing.assert_array_equal(_pair_matrix(neighbors.indices, n), expected)


def test_dense_method_equals_dense_oracle():
    box = periodic_box(50, 0.6, 0.5)
    positions = _uniform(jax.random.key(3), 50, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.2, method="dense")
    assert neighbors.spec.grid is None
    np.testing.assert_array_equal(
        _pair_matrix(neighbors.indices, 50), np.asarray(dense_neighbor_indices(positions, box, 1.2))
    )


def test_small_box_falls_back_to_dense():
    box = periodic_box(8, 0.6, 0.5)
    spec = neighbor_spec(box, 8, 1.0, 0.3)
    assert spec.method == "dense"
    with pytest.raises(ValueError, match="fewer than 3 cells"):
        neighbor_spec(box, 8, 1.0, 0.3, method="cell")


def test_hashed_open_space_equals_dense():
    space = open_space(2)
    positions = 6.0 * jax.random.normal(jax.random.key(4), (400, 2))
    neighbors = allocate(positions, space, cutoff=1.0, skin=0.5)
    assert neighbors.spec.method == "cell"
    assert not bool(neighbors.overflow)
    expected = np.asarray(dense_neighbor_indices(positions, space, 1.5))
    np.testing.assert_array_equal(_pair_matrix(neighbors.indices, 400), expected)


def test_row_overflow_is_flagged_and_grow_recovers():
    box = periodic_box(500, 0.6, 0.5)
    positions = _clustered(jax.random.key(5), 500, box)
    spec = neighbor_spec(box, 500, 1.0, 0.3, capacity=3)
    neighbors = jax.jit(build, static_argnums=(1, 2))(positions, box, spec)
    assert bool(neighbors.overflow)
    assert int(neighbors.max_neighbors) > 3
    while bool(neighbors.overflow):
        spec = grow(spec, neighbors, n=500)
        neighbors = build(positions, box, spec)
    expected = np.asarray(dense_neighbor_indices(positions, box, 1.3))
    np.testing.assert_array_equal(_pair_matrix(neighbors.indices, 500), expected)


def test_cell_overflow_is_flagged():
    box = periodic_box(500, 0.6, 0.5)
    positions = _clustered(jax.random.key(6), 500, box)
    spec = neighbor_spec(box, 500, 1.0, 0.3, capacity=200, cell_capacity=2)
    neighbors = build(positions, box, spec)
    assert bool(neighbors.overflow)
    assert int(neighbors.max_cell_occupancy) > 2
    grown = grow(spec, neighbors, n=500)
    assert grown.grid.cell_capacity > int(neighbors.max_cell_occupancy)
    assert not bool(build(positions, box, grown).overflow)


def test_update_rebuilds_only_past_half_skin():
    box = periodic_box(300, 0.5, 0.5)
    positions = _uniform(jax.random.key(7), 300, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.4)
    small = positions.at[0, 0].add(0.19)
    assert not bool(needs_rebuild(neighbors, small, box))
    kept = update(neighbors, small, box)
    assert int(kept.n_builds) == 1
    large = positions.at[0, 0].add(0.21)
    rebuilt = update(neighbors, large, box)
    assert int(rebuilt.n_builds) == 2
    np.testing.assert_allclose(rebuilt.reference_positions, large)


@pytest.mark.slow
def test_update_stays_exact_within_skin():
    # Random moves below skin / 2: every pair within the cutoff is still in the old list.
    box = periodic_box(400, 0.6, 0.5)
    positions = _uniform(jax.random.key(8), 400, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.4)
    step = jax.random.normal(jax.random.key(9), positions.shape)
    step = 0.199 * step / jnp.linalg.norm(step, axis=1, keepdims=True)
    moved = positions + step
    neighbors = update(neighbors, moved, box)
    assert int(neighbors.n_builds) == 1
    within_cutoff = np.asarray(dense_neighbor_indices(moved, box, 1.0))
    listed = _pair_matrix(neighbors.indices, 400)
    assert not np.any(within_cutoff & ~listed)


def test_update_traces_once_and_overflow_is_sticky():
    box = periodic_box(300, 0.6, 0.5)
    positions = _uniform(jax.random.key(10), 300, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.3)
    counter = TraceCounter(update)
    jitted = jax.jit(counter, static_argnums=2)
    for shift in (0.0, 0.5, 1.0):
        neighbors = jitted(neighbors, positions + shift, box)
    assert counter.count == 1
    flagged = dataclasses.replace(neighbors, overflow=jnp.asarray(True))
    assert bool(jitted(flagged, positions + 3.0, box).overflow)
    assert counter.count == 1


@pytest.mark.slow
def test_build_under_vmap():
    box = periodic_box(200, 0.5, 0.5)
    batch = jax.random.uniform(jax.random.key(11), (3, 200, 2), maxval=box.side)
    spec = neighbor_spec(box, 200, 1.0, 0.2)
    lists = jax.vmap(lambda x: build(x, box, spec))(batch)
    assert lists.indices.shape == (3, 200, spec.capacity)
    for member in range(3):
        expected = np.asarray(dense_neighbor_indices(batch[member], box, 1.2))
        np.testing.assert_array_equal(_pair_matrix(lists.indices[member], 200), expected)


def test_bad_positions_and_settings_raise():
    box = periodic_box(100, 0.5, 0.5)
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        allocate(jnp.zeros((100, 3)), box, 1.0, 0.2)
    with pytest.raises(ValueError, match="cutoff"):
        neighbor_spec(box, 100, 0.0, 0.2)
    with pytest.raises(ValueError, match="skin"):
        neighbor_spec(box, 100, 1.0, -0.1)
    with pytest.raises(ValueError, match="method"):
        neighbor_spec(box, 100, 1.0, 0.1, method="tree")
    with pytest.raises(ValueError, match="capacity"):
        neighbor_spec(open_space(), 100, 1.0, 0.1)
    with pytest.raises(ValueError, match="factor"):
        grow(neighbor_spec(box, 100, 1.0, 0.1), factor=1.0)


@pytest.mark.parametrize(("layout", "radius"), [(_uniform, None), (_clustered, 4.0)])
def test_knn_equals_dense_oracle(layout, radius):
    n, k = 700, 8
    box = periodic_box(n, 0.6, 0.5)
    positions = layout(jax.random.key(12), n, box)
    indices, displacements, overflow = k_nearest_neighbors(positions, box, k, radius=radius, cell_capacity=128)
    oracle_indices, oracle_displacements, _ = k_nearest_neighbors_dense(positions, box, k)
    assert not bool(overflow)
    distances = np.linalg.norm(np.asarray(displacements), axis=-1)
    oracle_distances = np.linalg.norm(np.asarray(oracle_displacements), axis=-1)
    # Sets may differ only where two distances tie, so compare sorted distances and the indices.
    np.testing.assert_allclose(distances, oracle_distances, rtol=1e-6)
    assert np.all(np.diff(distances, axis=1) >= 0)
    assert np.mean(np.asarray(indices) == np.asarray(oracle_indices)) > 0.999
    # Displacements are x_j - x_i by minimum image.
    expected = box.displacement(positions[indices], positions[:, None, :])
    np.testing.assert_allclose(displacements, expected, atol=1e-5)


def test_knn_flags_particles_short_of_k():
    box = periodic_box(400, 0.6, 0.5)
    positions = _uniform(jax.random.key(13), 400, box)
    indices, displacements, overflow = k_nearest_neighbors(positions, box, 6, radius=0.6)
    assert bool(overflow)
    padded = np.asarray(indices) == 400
    assert padded.any()
    np.testing.assert_array_equal(np.asarray(displacements)[padded], 0.0)


@pytest.mark.slow
def test_knn_flags_cell_overflow():
    box = periodic_box(400, 0.6, 0.5)
    positions = _clustered(jax.random.key(14), 400, box)
    _, _, overflow = k_nearest_neighbors(positions, box, 4, radius=2.0, cell_capacity=4)
    assert bool(overflow)


def test_knn_open_space_needs_radius_and_matches_dense():
    space = open_space(2)
    positions = 4.0 * jax.random.normal(jax.random.key(15), (300, 2))
    with pytest.raises(ValueError, match="radius"):
        k_nearest_neighbors(positions, space, 4)
    indices, _, overflow = k_nearest_neighbors(positions, space, 4, radius=3.0, cell_capacity=40)
    oracle, _, oracle_short = k_nearest_neighbors_dense(positions, space, 4, radius=3.0)
    # Isolated particles in the Gaussian tails have fewer than 4 neighbours within the radius.
    assert bool(overflow) == bool(oracle_short)
    assert np.mean(np.asarray(indices) == np.asarray(oracle)) > 0.999


def test_knn_jit_vmap_grad():
    box = periodic_box(256, 0.5, 0.5)
    batch = jax.random.uniform(jax.random.key(16), (2, 256, 2), maxval=box.side)
    counter = TraceCounter(lambda x: k_nearest_neighbors(x, box, 5))
    jitted = jax.jit(counter)
    first = jitted(batch[0])
    jitted(batch[1])
    assert counter.count == 1
    batched = jax.vmap(lambda x: k_nearest_neighbors(x, box, 5))(batch)
    np.testing.assert_array_equal(batched[0][0], first[0])

    # d/dx_i of sum_j |x_j - x_i|^2 over the fixed neighbour set is -2 sum_j (x_j - x_i) for the
    # row of particle i, plus the terms where i is someone's neighbour.
    def loss(x):
        _, displacements, _ = k_nearest_neighbors(x, box, 5)
        return jnp.sum(displacements**2)

    grad = jax.grad(loss)(batch[0])
    indices, displacements, _ = k_nearest_neighbors(batch[0], box, 5)
    expected = -2.0 * jnp.sum(displacements, axis=1)
    expected = expected.at[indices.reshape(-1)].add(2.0 * displacements.reshape(-1, 2), mode="drop")
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-4)


def test_knn_rejects_bad_k():
    box = periodic_box(50, 0.5, 0.5)
    positions = _uniform(jax.random.key(17), 50, box)
    for k in (0, 50, 2.0):
        with pytest.raises(ValueError, match="k must be"):
            k_nearest_neighbors(positions, box, k)


def _pair_format_matrix(pairs, n):
    matrix = np.zeros((n + 1, n + 1), dtype=bool)
    first, second = np.asarray(pairs)
    matrix[first, second] = True
    matrix[second, first] = True
    return matrix[:n, :n]


@pytest.mark.parametrize(
    ("method", "dim"),
    [
        ("auto", 2),
        pytest.param("dense", 2, marks=pytest.mark.slow),
        ("auto", 3),
        pytest.param("dense", 3, marks=pytest.mark.slow),
    ],
)
def test_pair_format_equals_dense(method, dim):
    n = 500
    box = periodic_box(n, 0.5, 0.5, dim=dim)
    positions = _clustered(jax.random.key(20 + dim), n, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.3, format="pairs", method=method)
    assert neighbors.indices.shape == (2, neighbors.spec.capacity)
    assert not bool(neighbors.overflow)
    first, second = np.asarray(neighbors.indices)
    listed = first < n
    # Each pair once, with no self pairs.
    assert np.all(first[listed] != second[listed])
    assert len(set(zip(np.minimum(first, second)[listed], np.maximum(first, second)[listed]))) == listed.sum()
    expected = np.asarray(dense_neighbor_indices(positions, box, 1.3))
    np.testing.assert_array_equal(_pair_format_matrix(neighbors.indices, n), expected)
    assert int(neighbors.max_neighbors) == expected.sum() // 2


def test_pair_format_overflow_and_grow():
    box = periodic_box(400, 0.6, 0.5)
    positions = _uniform(jax.random.key(30), 400, box)
    spec = neighbor_spec(box, 400, 1.0, 0.3, format="pairs", capacity=50)
    neighbors = build(positions, box, spec)
    assert bool(neighbors.overflow)
    grown = grow(spec, neighbors, n=400)
    assert grown.capacity > int(neighbors.max_neighbors)
    rebuilt = build(positions, box, grown)
    assert not bool(rebuilt.overflow)
    np.testing.assert_array_equal(
        _pair_format_matrix(rebuilt.indices, 400), np.asarray(dense_neighbor_indices(positions, box, 1.3))
    )
    with pytest.raises(ValueError, match="format"):
        neighbor_spec(box, 400, 1.0, 0.3, format="csr")


@pytest.mark.parametrize("format", ["rows", "pairs"])
def test_cells_wider_than_one_bit_word_equal_dense(format):
    # A cell capacity of 40 takes two 32-bit words of hit bits per stencil cell.
    n = 300
    box = periodic_box(n, 0.5, 0.5)
    positions = _clustered(jax.random.key(40), n, box)
    spec = neighbor_spec(box, n, 1.0, 0.3, capacity=n * n // 2 if format == "pairs" else n, cell_capacity=40,
                         format=format)
    neighbors = build(positions, box, spec)
    assert not bool(neighbors.overflow)
    expected = np.asarray(dense_neighbor_indices(positions, box, 1.3))
    matrix = _pair_format_matrix if format == "pairs" else _pair_matrix
    np.testing.assert_array_equal(matrix(neighbors.indices, n), expected)


def test_cell_rows_list_neighbours_in_stencil_order():
    # Rows hold the neighbours in the order of the stencil cells and, within a cell, of the index.
    n = 400
    box = periodic_box(n, 0.5, 0.5)
    positions = _uniform(jax.random.key(41), n, box)
    neighbors = allocate(positions, box, cutoff=1.0, skin=0.3)
    grid = neighbors.spec.grid
    coords = np.floor(np.mod(np.asarray(positions), box.side) / grid.cell_size).astype(int)
    coords = np.minimum(coords, grid.cells_per_side - 1)
    offsets = [(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)]
    for i in range(0, n, 37):
        row = [j for j in np.asarray(neighbors.indices[i]) if j < n]
        window = []
        for offset in offsets:
            cell = (coords[i] + offset) % grid.cells_per_side
            window += [j for j in row if tuple(coords[j]) == tuple(cell)]
        assert row == window
        assert all(np.all(np.diff([j for j in row if tuple(coords[j]) == tuple(c)]) > 0) for c in coords[row])


def test_sort_by_cell_fallback_matches_single_key_sort():
    from jaxsim.active.neighbors import _sort_by_cell

    cell = jax.random.randint(jax.random.key(42), (500,), 0, 60)
    fast = _sort_by_cell(cell, 60)
    # A cell count that would overflow the 32-bit key takes the stable argsort instead.
    slow = _sort_by_cell(cell, 2**32)
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    np.testing.assert_array_equal(fast[0], np.argsort(np.asarray(cell), kind="stable"))
