"""Parameter-free operations and the convolution + batch-norm unit that the blocks share.

Every tensor is laid out NHWC (batch, height, width, channels), the Flax default.

Sources:
    Zhang, Zhou, Lin, Sun (2018), "ShuffleNet: An Extremely Efficient Convolutional Neural
    Network for Mobile Devices", arXiv:1707.01083 (channel shuffle).
    Wu, Wan, Yue, Jin, Zhao, Golmant, Gholaminejad, Gonzalez, Keutzer (2018), "Shift: A Zero
    FLOP, Zero Parameter Alternative to Spatial Convolutions", arXiv:1711.08141 (shift).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

__all__ = ["ConvBN", "channel_shuffle", "spatial_shift", "shift_directions", "check_groups", "ACTIVATIONS"]

ACTIVATIONS: dict[str, Callable[[Array], Array] | None] = {
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "none": None,
}


def check_groups(channels: int, groups: int, what: str) -> None:
    """Raise a ValueError when ``channels`` cannot be split into ``groups`` equal groups."""
    if groups < 1:
        raise ValueError(f"groups must be >= 1, got {groups}.")
    if channels % groups != 0:
        raise ValueError(
            f"{what} has {channels} channels, which do not split into {groups} groups; "
            f"use a channel count divisible by {groups} or groups=1."
        )


def channel_shuffle(x: Float[Array, "*batch h w c"], groups: int) -> Float[Array, "*batch h w c"]:
    """Interleave the channels of ``groups`` groups (Zhang et al. 2018, ShuffleNet).

    Channel ``g * (c // groups) + i`` moves to position ``i * groups + g``, so that the next
    grouped convolution sees channels from every group of the previous one.
    """
    channels = x.shape[-1]
    check_groups(channels, groups, "channel_shuffle input")
    if groups == 1:
        return x
    lead = x.shape[:-1]
    x = x.reshape(*lead, groups, channels // groups)
    x = jnp.swapaxes(x, -1, -2)
    return x.reshape(*lead, channels)


def shift_directions(kernel_size: int) -> list[tuple[int, int]]:
    """Return the ``kernel_size**2`` (dy, dx) offsets of the shift operation, centre first."""
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"shift kernel_size must be an odd integer >= 1, got {kernel_size}.")
    half = kernel_size // 2
    offsets = [(dy, dx) for dy in range(-half, half + 1) for dx in range(-half, half + 1)]
    offsets.remove((0, 0))
    return [(0, 0), *offsets]


def _shift_one(x: Array, dy: int, dx: int) -> Array:
    # out[h, w] = x[h - dy, w - dx], with zeros where that index falls outside the image.
    height, width = x.shape[-3], x.shape[-2]
    pad = max(abs(dy), abs(dx))
    if pad == 0:
        return x
    padding = [(0, 0)] * (x.ndim - 3) + [(pad, pad), (pad, pad), (0, 0)]
    padded = jnp.pad(x, padding)
    return padded[..., pad - dy : pad - dy + height, pad - dx : pad - dx + width, :]


def spatial_shift(x: Float[Array, "*batch h w c"], kernel_size: int = 3) -> Float[Array, "*batch h w c"]:
    """Shift groups of channels in ``kernel_size**2`` directions with zero fill (Wu et al. 2018, Shift).

    The channels are split into ``kernel_size**2`` groups of ``c // kernel_size**2`` channels;
    group ``j`` moves by the ``j``-th offset of :func:`shift_directions` (the centre group stays),
    and the ``c mod kernel_size**2`` channels left over join the centre group. For
    ``kernel_size=3`` every group moves one pixel. The operation has no parameters and no
    multiply-accumulates.
    """
    directions = shift_directions(kernel_size)
    channels = x.shape[-1]
    group = channels // len(directions)
    centre = channels - group * (len(directions) - 1)
    pieces = [x[..., :centre]]
    start = centre
    for dy, dx in directions[1:]:
        pieces.append(_shift_one(x[..., start : start + group], dy, dx))
        start += group
    return jnp.concatenate(pieces, axis=-1)


class ConvBN(nnx.Module):
    """Convolution without bias, batch normalization, then an optional activation.

    Args:
        in_channels, out_channels: channel counts.
        kernel_size: ``(kh, kw)`` or one int for a square kernel.
        stride: spatial stride.
        groups: feature groups of the convolution (``in_channels`` for depthwise).
        activation: ``"relu"``, ``"relu6"`` or ``"none"``.
        rngs: random streams for the initial weights.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 1,
        *,
        stride: int = 1,
        groups: int = 1,
        activation: str = "relu",
        rngs: nnx.Rngs,
    ):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}.")
        check_groups(in_channels, groups, "convolution input")
        check_groups(out_channels, groups, "convolution output")
        kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        padding = [((k - 1) // 2, k // 2) for k in kernel]
        self.conv = nnx.Conv(
            in_channels,
            out_channels,
            kernel,
            strides=stride,
            padding=padding,
            feature_group_count=groups,
            use_bias=False,
            rngs=rngs,
        )
        self.norm = nnx.BatchNorm(out_channels, momentum=0.9, rngs=rngs)
        self.activation = activation

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        y = self.norm(self.conv(x))
        fn = ACTIVATIONS[self.activation]
        return y if fn is None else fn(y)
