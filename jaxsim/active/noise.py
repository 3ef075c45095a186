"""Standard normal noise from both output words of each Threefry block.

``jax.random.normal`` with the default partitionable Threefry computes one Threefry-2x32 block
(20 rounds; Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3", SC11) for every
32-bit word and keeps the XOR of its two outputs. :func:`standard_normal` hashes the counters
``0 ... 2h - 1`` with the key as ``h`` blocks and keeps all ``2h`` output words, so it computes
half as many blocks for the same number of variates. Each word gives a uniform
``u = (k + 1/2) 2^-23`` from its top 23 bits ``k``, and the normal variate is
``sqrt(2) erfinv(2 u - 1)``, as in ``jax.random.normal``. The variates differ from those of
``jax.random.normal`` for the same key; their law is the same.

Keys of other generators (``rbg``, ``unsafe_rbg``) fall back to ``jax.random.normal``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.extend import random as jex_random
from jaxtyping import Array, Float, PRNGKeyArray

__all__ = ["standard_normal"]


def _threefry_data(key: PRNGKeyArray) -> Array | None:
    """Return the two ``uint32`` words of a Threefry key, or None for another generator."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if str(jax.random.key_impl(key)) != "threefry2x32":
            return None
        return jax.random.key_data(key)
    if key.shape == (2,) and key.dtype == jnp.uint32:
        return key
    return None


def standard_normal(key: PRNGKeyArray, shape: tuple[int, ...], dtype=jnp.float32) -> Float[Array, "..."]:
    """Draw independent standard normal variates of ``shape`` from ``key``.

    Uses the same Threefry-2x32 hash and inverse-error-function map as ``jax.random.normal``
    with half its hash evaluations (module docstring). Deterministic in ``key``, and the same
    under ``jit`` and ``vmap``.
    """
    data = _threefry_data(key)
    dtype = jnp.dtype(dtype)
    if data is None or dtype.itemsize > 4:
        return jax.random.normal(key, shape, dtype)
    size = math.prod(shape)
    if size == 0:
        return jnp.zeros(shape, dtype)
    counters = jnp.arange(2 * ((size + 1) // 2), dtype=jnp.uint32)
    bits = jex_random.threefry_2x32(data, counters)[:size]
    # (2 k + 1) 2^-23 - 1 for the top 23 bits k: exact in float32, symmetric, never +-1.
    centred = (bits >> 9).astype(jnp.float32) * (2.0**-22) + (2.0**-23 - 1.0)
    return (math.sqrt(2.0) * jax.lax.erf_inv(centred)).reshape(shape).astype(dtype)
