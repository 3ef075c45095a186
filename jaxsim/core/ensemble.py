"""One function over a batch of PRNG keys or parameter sets, sharded over all devices.

``ensemble(fn, batch)`` maps ``fn`` over the leading axis of every leaf of ``batch`` with
``vmap`` and splits that axis across a one-dimensional device mesh with ``jax.sharding``.
The batch is padded (by repeating its last member) to a multiple of the device count and
the padding is dropped from the result, so any batch size works on any number of devices.
Each member's result depends only on that member's input, so it does not change with the
number of devices.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from jaxtyping import PyTree

__all__ = ["ensemble", "ensemble_keys", "batch_sharding"]

_AXIS = "batch"


def batch_sharding(devices: Sequence[jax.Device] | None = None) -> NamedSharding:
    """Return a sharding that splits the leading axis across ``devices`` (default: all)."""
    devices = list(jax.devices() if devices is None else devices)
    mesh = Mesh(np.array(devices), (_AXIS,))
    return NamedSharding(mesh, PartitionSpec(_AXIS))


@functools.lru_cache(maxsize=64)
def _mapped(fn: Callable[..., PyTree], n_args: int, sharding: NamedSharding) -> Callable[..., PyTree]:
    # Cached so that calling ``ensemble`` again with the same function does not retrace it.
    return jax.jit(jax.vmap(fn, in_axes=(0,) + (None,) * n_args), out_shardings=sharding)


def _batch_size(batch: PyTree) -> int:
    leaves = jax.tree.leaves(batch)
    if not leaves:
        raise ValueError("ensemble got an empty batch; pass arrays with a leading batch axis.")
    sizes = {int(jnp.shape(leaf)[0]) if jnp.ndim(leaf) else -1 for leaf in leaves}
    if len(sizes) != 1 or -1 in sizes:
        raise ValueError(
            f"every leaf of the batch needs the same leading axis, got sizes {sorted(sizes)} "
            "(-1 marks a scalar leaf); stack the members along axis 0."
        )
    (size,) = sizes
    if size == 0:
        raise ValueError("ensemble got a batch of size 0; pass at least one member.")
    return size


def ensemble(
    fn: Callable[..., PyTree],
    batch: PyTree,
    *args: Any,
    devices: Sequence[jax.Device] | None = None,
) -> PyTree:
    """Evaluate ``fn(member, *args)`` for every member of ``batch``, sharded over devices.

    Args:
        fn: function of one batch member (a pytree without the leading axis) and of
            ``args``, which are the same for every member. Its outputs must be arrays.
        batch: pytree whose leaves share a leading axis of size ``B``.
        *args: arguments broadcast to every member, replicated on every device.
        devices: devices to shard over; default ``jax.devices()``.

    Returns:
        ``fn``'s outputs stacked along a leading axis of size ``B``.
    """
    size = _batch_size(batch)
    sharding = batch_sharding(devices)
    n_devices = sharding.mesh.size
    padded = -(-size // n_devices) * n_devices

    def pad(leaf):
        leaf = jnp.asarray(leaf)
        if padded == size:
            return leaf
        fill = jnp.repeat(leaf[-1:], padded - size, axis=0)
        return jnp.concatenate([leaf, fill], axis=0)

    sharded = jax.device_put(jax.tree.map(pad, batch), sharding)
    replicated = NamedSharding(sharding.mesh, PartitionSpec())
    args = jax.device_put(args, replicated)
    out = _mapped(fn, len(args), sharding)(sharded, *args)
    return jax.tree.map(lambda leaf: leaf[:size], out)


def ensemble_keys(
    fn: Callable[..., PyTree],
    key: jax.Array,
    n: int,
    *args: Any,
    devices: Sequence[jax.Device] | None = None,
) -> PyTree:
    """Evaluate ``fn(subkey, *args)`` for ``n`` keys split from ``key``, sharded over devices.

    The subkeys come from ``jax.random.split(key, n)``, so member ``i`` sees the same key
    whatever the number of devices.
    """
    if n < 1:
        raise ValueError(f"ensemble_keys needs n >= 1, got n={n}.")
    return ensemble(fn, jax.random.split(key, n), *args, devices=devices)
