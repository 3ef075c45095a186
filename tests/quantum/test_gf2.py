import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.quantum import echelon_ranks, null_vector, rank_of, reduce_basis


def numpy_rank(rows, n):
    matrix = np.array([[(r >> (n - 1 - c)) & 1 for c in range(n)] for r in rows], dtype=np.uint8)
    rank = 0
    for col in range(n):
        pivot = next((i for i in range(rank, len(matrix)) if matrix[i, col]), None)
        if pivot is None:
            continue
        matrix[[rank, pivot]] = matrix[[pivot, rank]]
        for i in range(len(matrix)):
            if i != rank and matrix[i, col]:
                matrix[i] ^= matrix[rank]
        rank += 1
    return rank


@pytest.mark.parametrize("n", [1, 3, 8, 16, 32])
def test_ranks_match_numpy(n):
    rng = np.random.default_rng(n)
    rows = rng.integers(0, 2**n, size=12, dtype=np.uint64).astype(np.uint32)
    rows[5] = rows[1] ^ rows[2]  # a dependent row must not raise the rank
    _, ranks = jax.jit(echelon_ranks, static_argnums=1)(jnp.asarray(rows), n)
    for k in range(len(rows)):
        assert int(ranks[k]) == numpy_rank([int(r) for r in rows[: k + 1]], n)


@pytest.mark.parametrize("n", [2, 5, 14, 20])
def test_null_vector_recovers_secret(n):
    rng = np.random.default_rng(n)
    for _ in range(5):
        s = int(rng.integers(1, 2**n))
        candidates = rng.integers(0, 2**n, size=400)
        zs = [int(z) for z in candidates if bin(int(z) & s).count("1") % 2 == 0][: 3 * n]
        bases, ranks = echelon_ranks(jnp.asarray(zs, jnp.uint32), n)
        assert int(ranks[-1]) == n - 1
        assert int(null_vector(bases[-1], n)) == s


def test_reduced_basis_has_clear_pivot_columns():
    n = 6
    rows = jnp.asarray([0b110101, 0b011011, 0b000111, 0b101000], jnp.uint32)
    bases, _ = echelon_ranks(rows, n)
    reduced = np.asarray(reduce_basis(bases[-1], n))
    for p in range(n):
        if reduced[p]:
            assert int(reduced[p]).bit_length() - 1 == p
            others = [int(r) for q, r in enumerate(reduced) if q != p]
            assert all((r >> p) & 1 == 0 for r in others)
    assert int(rank_of(bases[-1])) == numpy_rank([int(r) for r in rows], n)
