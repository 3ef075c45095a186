"""Classical baseline for Simon's problem: randomised collision search and its query bound.

Collision search queries ``f`` at distinct inputs in a uniformly random order and stops at the
first ``x`` whose value was already seen at some ``x'``; then ``s = x XOR x'``. If ``s != 0``,
any ``2^(n-1) + 1`` distinct inputs contain a pair ``{x, x XOR s}`` (pigeonhole over the
``2^(n-1)`` pairs), so after that many queries without a collision ``f`` is one-to-one. The
expected number of queries for ``s != 0`` grows as ``2^(n/2)`` (birthday bound).

Lower bound for any classical algorithm (Simon, 1997, "On the power of quantum computation",
SIAM J. Comput. 26, 1474, proves ``Omega(2^(n/2))``; the constant below is derived here).
Let ``s`` be uniform over the ``N = 2^n - 1`` nonzero strings and ``f`` a uniformly random
function with period ``s``. Until a collision, the values seen are fresh random labels, so
after ``k`` distinct queries without one, at most ``k(k-1)/2`` candidates ``x_i XOR x_j`` are
excluded and ``s`` is uniform over the rest. The next query collides only if ``s`` is one of
``k`` strings, with probability at most ``k / (N - k(k-1)/2)``. Summing over ``q`` queries
and adding a final guess gives

    P_success(q) <= (q(q-1)/2 + 1) / (N - q(q-1)/2),

so success probability ``p`` needs ``q(q-1)/2 >= (p N - 1) / (1 + p)``, i.e.

    q >= q_min(n, p) = 1/2 + sqrt(1/4 + 2 (p N - 1) / (1 + p)).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

__all__ = [
    "CollisionResult",
    "collision_search",
    "success_upper_bound",
    "query_lower_bound",
    "log_query_lower_bound",
]


class CollisionResult(eqx.Module):
    """Outcome of one collision search.

    Attributes:
        s: recovered secret, bit-packed (0 when no collision was found).
        queries: oracle queries made, counted exactly.
        found: whether a collision was found (False means ``f`` is one-to-one).
    """

    s: Int[Array, ""]
    queries: Int[Array, ""]
    found: Array


def collision_search(key: PRNGKeyArray, table: Int[Array, " 2**n"]) -> CollisionResult:
    """Search ``f = table`` for a collision by querying distinct random inputs; jittable.

    All ``2^n`` queries are drawn up front in a random order; the first repeated value sets the
    query count, capped at ``2^(n-1) + 1`` where one-to-one is proven.
    """
    size = table.shape[0]
    order = jax.random.permutation(key, size).astype(jnp.uint32)
    values = table[order]
    position = jnp.arange(size, dtype=jnp.int32)
    first_seen = jnp.full(size, size, jnp.int32).at[values].min(position)
    repeat = first_seen[values] < position
    cap = size // 2 + 1
    found = jnp.any(repeat[:cap])
    k = jnp.argmax(repeat)
    partner = order[first_seen[values[k]]]
    s = jnp.where(found, order[k] ^ partner, jnp.uint32(0))
    queries = jnp.where(found, k + 1, cap).astype(jnp.int32)
    return CollisionResult(s=s, queries=queries, found=found)


def success_upper_bound(n: Float[ArrayLike, ""], q: Float[ArrayLike, ""]) -> Float[Array, ""]:
    """Return ``(q(q-1)/2 + 1) / (N - q(q-1)/2)``, the most any ``q``-query algorithm succeeds.

    ``N = 2^n - 1``; valid while ``q(q-1)/2 < N`` and capped at 1.
    """
    n, q = jnp.asarray(n), jnp.asarray(q)
    pairs = q * (q - 1) / 2
    remaining = jnp.exp2(n) - 1 - pairs
    return jnp.where(remaining > 0, jnp.minimum((pairs + 1) / jnp.maximum(remaining, 1e-30), 1.0), 1.0)


def log_query_lower_bound(n: Float[ArrayLike, "..."], p: Float[ArrayLike, ""]) -> Float[Array, "..."]:
    """Return ``ln q_min(n, p)``, computed in log space so large ``n`` does not overflow.

    ``n`` is treated as a real number so the bound is differentiable in it; ``p`` must exceed
    ``1 / (2^n - 1)``, the success of a blind guess.
    """
    n, p = jnp.asarray(n), jnp.asarray(p)
    ln2 = jnp.log(2.0)
    # ln(p N - 1) = n ln 2 + ln(p (1 - 2^-n) - 2^-n)
    tail = jnp.exp2(-n)
    log_k = n * ln2 + jnp.log(p * (1 - tail) - tail) - jnp.log1p(p)
    log_root = 0.5 * jnp.logaddexp(jnp.log(0.25), ln2 + log_k)
    return jnp.logaddexp(jnp.log(0.5), log_root)


def query_lower_bound(n: Float[ArrayLike, "..."], p: Float[ArrayLike, ""]) -> Float[Array, "..."]:
    """Return ``q_min(n, p) = 1/2 + sqrt(1/4 + 2 (p (2^n - 1) - 1) / (1 + p))`` queries."""
    return jnp.exp(log_query_lower_bound(n, p))
