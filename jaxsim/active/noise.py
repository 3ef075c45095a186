"""Per-step keys and standard normal noise from an unrolled Threefry-2x32 hash.

Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror and Shaw 2011, "Parallel random numbers: as
easy as 1, 2, 3", SC11) maps a key ``(k0, k1)`` and a counter pair ``(x0, x1)`` to two words.
With ``k2 = k0 ^ k1 ^ 0x1BD11BDA``, it adds ``(k0, k1)`` and runs 20 rounds of
``x0 += x1; x1 = rotl(x1, R[r mod 8]) ^ x0`` with ``R = (13, 15, 26, 6, 17, 29, 16, 24)``.
After every fourth round ``s`` it adds ``(k[s mod 3], k[(s + 1) mod 3] + s)``. It is the hash behind
``jax.random``'s default generator, whose CPU lowering runs the rounds as a rolled loop of small
kernels. Written out here as array arithmetic, XLA fuses all 20 rounds into one vectorised loop.

- :func:`fold_in` returns the same key as ``jax.random.fold_in`` for Threefry keys.
- :func:`standard_normal` hashes the counters ``0 ... 2h - 1`` as ``h`` blocks and keeps both
  output words of each, where ``jax.random.normal`` computes one block per variate. Each word
  gives a uniform ``u = (k + 1/2) 2^-23`` from its top 23 bits ``k``, and the variate is
  ``sqrt(2) erfinv(2 u - 1)``, as in ``jax.random.normal``. The variates differ from those of
  ``jax.random.normal`` for the same key; their law is the same.

Keys of other generators (``rbg``, ``unsafe_rbg``) fall back to ``jax.random``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PRNGKeyArray, UInt32

__all__ = ["fold_in", "standard_normal", "threefry_2x32"]

_ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)
_PARITY = 0x1BD11BDA


def threefry_2x32(
    key_words: UInt32[Array, "2"], x0: UInt32[Array, "*shape"], x1: UInt32[Array, "*shape"]
) -> tuple[UInt32[Array, "*shape"], UInt32[Array, "*shape"]]:
    """Hash the counter pairs ``(x0, x1)`` with the key ``(k0, k1)`` by Threefry-2x32, 20 rounds."""
    k0, k1 = key_words[0], key_words[1]
    schedule = (k0, k1, k0 ^ k1 ^ jnp.uint32(_PARITY))
    x0 = x0 + schedule[0]
    x1 = x1 + schedule[1]
    for round_index in range(20):
        rotation = _ROTATIONS[round_index % 8]
        x0 = x0 + x1
        x1 = ((x1 << jnp.uint32(rotation)) | (x1 >> jnp.uint32(32 - rotation))) ^ x0
        if round_index % 4 == 3:
            injection = round_index // 4 + 1
            x0 = x0 + schedule[injection % 3]
            x1 = x1 + schedule[(injection + 1) % 3] + jnp.uint32(injection)
    return x0, x1


def _threefry_words(key: PRNGKeyArray) -> Array | None:
    """Return the two ``uint32`` words of a Threefry key, or None for another generator."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        if str(jax.random.key_impl(key)) != "threefry2x32":
            return None
        return jax.random.key_data(key)
    if key.shape == (2,) and key.dtype == jnp.uint32:
        return key
    return None


def fold_in(key: PRNGKeyArray, data: Int[Array, ""]) -> PRNGKeyArray:
    """Return ``jax.random.fold_in(key, data)`` for a non-negative 32-bit ``data``.

    For Threefry keys the new key is the hash of the counter pair ``(0, data)``, computed with
    :func:`threefry_2x32`; other keys go through ``jax.random.fold_in``.
    """
    words = _threefry_words(key)
    if words is None:
        return jax.random.fold_in(key, data)
    first, second = threefry_2x32(words, jnp.zeros((), jnp.uint32), jnp.asarray(data).astype(jnp.uint32))
    folded = jnp.stack([first, second])
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jax.random.wrap_key_data(folded, impl="threefry2x32")
    return folded


def standard_normal(key: PRNGKeyArray, shape: tuple[int, ...], dtype=jnp.float32) -> Float[Array, "..."]:
    """Draw independent standard normal variates of ``shape`` from ``key``.

    Uses both output words of each Threefry block and the inverse error function (module
    docstring). Deterministic in ``key``, and the same under ``jit`` and ``vmap``. Float64 and
    non-Threefry keys use ``jax.random.normal``.
    """
    words = _threefry_words(key)
    dtype = jnp.dtype(dtype)
    if words is None or dtype.itemsize > 4:
        return jax.random.normal(key, shape, dtype)
    size = math.prod(shape)
    if size == 0:
        return jnp.zeros(shape, dtype)
    blocks = (size + 1) // 2
    counters = jnp.arange(blocks, dtype=jnp.uint32)
    bits = jnp.concatenate(threefry_2x32(words, counters, counters + jnp.uint32(blocks)))[:size]
    # (2 k + 1) 2^-23 - 1 for the top 23 bits k: exact in float32, symmetric, never +-1.
    centred = (bits >> 9).astype(jnp.float32) * (2.0**-22) + (2.0**-23 - 1.0)
    return (math.sqrt(2.0) * jax.lax.erf_inv(centred)).reshape(shape).astype(dtype)
