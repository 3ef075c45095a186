"""Gaussian elimination over GF(2) on bit-packed rows, jittable.

A row of ``n <= 32`` bits is one uint32 (bit ``p`` of the integer is column ``p``; qubit 0 is
bit ``n-1``). The echelon basis is an array ``basis[p]`` holding the row whose leading (most
significant) set bit is ``p``, or 0 where no row leads at ``p``. Inserting a row XORs it with
the stored rows from the top bit down until it either leads at an empty slot or becomes 0
(linearly dependent): ``n`` steps of one XOR each.

For Simon's problem the rows are the measured ``z`` with ``z . s = 0 (mod 2)``. Once the rank
is ``n - 1`` the null space is ``{0, s}`` and :func:`null_vector` reads ``s`` off the reduced
row echelon form: the one column ``f`` without a pivot is a free variable set to 1, and each
pivot ``p`` gets bit ``f`` of its reduced row.
"""

from __future__ import annotations

import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, Int

__all__ = ["insert_row", "echelon_ranks", "reduce_basis", "null_vector", "rank_of"]


def insert_row(basis: Int[Array, " n"], row: Int[Array, ""], n: int) -> Int[Array, " n"]:
    """Insert the bit-packed ``row`` into the echelon ``basis`` of ``n`` columns."""

    def step(i, carry):
        basis, row = carry
        p = n - 1 - i
        has_bit = ((row >> p) & 1) == 1
        stored = basis[p]
        empty = stored == 0
        basis = jnp.where(has_bit & empty, basis.at[p].set(row), basis)
        row = jnp.where(has_bit, jnp.where(empty, jnp.uint32(0), row ^ stored), row)
        return basis, row

    basis, _ = lax.fori_loop(0, n, step, (basis.astype(jnp.uint32), jnp.asarray(row, jnp.uint32)))
    return basis


def rank_of(basis: Int[Array, " n"]) -> Int[Array, ""]:
    """Return the rank of an echelon basis: its number of nonzero rows."""
    return jnp.sum(basis != 0).astype(jnp.int32)


def echelon_ranks(rows: Int[Array, " m"], n: int) -> tuple[Int[Array, "m n"], Int[Array, " m"]]:
    """Insert ``rows`` one by one and return the basis and rank after each insertion.

    Returns:
        ``(bases, ranks)`` with ``bases[k]`` the echelon basis of ``rows[:k + 1]``.
    """

    def step(basis, row):
        basis = insert_row(basis, row, n)
        return basis, (basis, rank_of(basis))

    _, (bases, ranks) = lax.scan(step, jnp.zeros(n, jnp.uint32), rows.astype(jnp.uint32))
    return bases, ranks


def reduce_basis(basis: Int[Array, " n"], n: int) -> Int[Array, " n"]:
    """Bring an echelon basis to reduced row echelon form.

    Pivots are cleared in increasing order: clearing bit ``p`` from every other row uses the
    row led by ``p``, whose lower pivot bits are already cleared, so no cleared bit returns.
    """

    def clear(p, basis):
        pivot_row = basis[p]
        has_pivot = pivot_row != 0
        others = jnp.arange(n) != p
        hit = (((basis >> p) & 1) == 1) & others & has_pivot
        return jnp.where(hit, basis ^ pivot_row, basis)

    return lax.fori_loop(0, n, clear, basis.astype(jnp.uint32))


def null_vector(basis: Int[Array, " n"], n: int) -> Int[Array, ""]:
    """Return the nonzero null vector of a rank ``n - 1`` echelon basis, bit-packed.

    The result is only meaningful when the rank is ``n - 1``; check :func:`rank_of` first.
    """
    reduced = reduce_basis(basis, n)
    free = jnp.argmax(reduced == 0).astype(jnp.uint32)
    bits = (reduced >> free) & 1
    weights = jnp.left_shift(jnp.uint32(1), jnp.arange(n, dtype=jnp.uint32))
    pivots = jnp.where(reduced != 0, bits * weights, jnp.uint32(0))
    return lax.reduce(pivots, jnp.uint32(0), lax.bitwise_or, (0,)) | (jnp.uint32(1) << free)
