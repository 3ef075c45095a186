"""Parameter-free operations and the convolution + batch-norm unit that the blocks share.

Every tensor is laid out NHWC (batch, height, width, channels), the Flax default.

Sources:
    Zhang, Zhou, Lin, Sun (2018), "ShuffleNet: An Extremely Efficient Convolutional Neural
    Network for Mobile Devices", arXiv:1707.01083 (channel shuffle).
    Wu, Wan, Yue, Jin, Zhao, Golmant, Gholaminejad, Gonzalez, Keutzer (2018), "Shift: A Zero
    FLOP, Zero Parameter Alternative to Spatial Convolutions", arXiv:1711.08141 (shift).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

__all__ = [
    "Conv",
    "ConvBN",
    "channel_shuffle",
    "spatial_shift",
    "shift_directions",
    "check_groups",
    "lax_convolutions",
    "ACTIVATIONS",
]

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


# When True, every Conv runs as one lax.conv_general_dilated, which the MAC counter recognizes.
_USE_LAX_CONVOLUTION = [False]


@contextmanager
def lax_convolutions() -> Iterator[None]:
    """Run every :class:`Conv` as ``lax.conv_general_dilated`` inside the block (used for counting)."""
    previous = _USE_LAX_CONVOLUTION[0]
    _USE_LAX_CONVOLUTION[0] = True
    try:
        yield
    finally:
        _USE_LAX_CONVOLUTION[0] = previous


def _depthwise_taps(x: Array, kernel: Array, stride: int, padding: list[tuple[int, int]]) -> Array:
    # Depthwise convolution as a sum of k_h * k_w shifted, per-channel scaled copies of the input.
    # XLA fuses the sum into one loop; on CPU this runs about 100x faster than a grouped
    # lax.conv_general_dilated with one group per channel (measured on jaxlib 0.10 at 4x4x96).
    kh, kw = kernel.shape[0], kernel.shape[1]
    height, width = x.shape[-3], x.shape[-2]
    padded = jnp.pad(x, [(0, 0)] * (x.ndim - 3) + [padding[0], padding[1], (0, 0)])
    out_h = (height + sum(padding[0]) - kh) // stride + 1
    out_w = (width + sum(padding[1]) - kw) // stride + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            tap = padded[..., i : i + (out_h - 1) * stride + 1 : stride, j : j + (out_w - 1) * stride + 1 : stride, :]
            term = tap * kernel[i, j, 0]
            out = term if out is None else out + term
    return out


class Conv(nnx.Module):
    """2-D convolution (NHWC, kernel HWIO as in ``nnx.Conv``) with a fast path per kind.

    ``y = sum_{dy,dx,ci in group} x[h*s + dy - p, w*s + dx - p, ci] * K[dy, dx, ci, co] (+ b[co])``.
    Depthwise convolutions (``groups == in_channels == out_channels``) run as a sum of shifted
    copies and grouped 1x1 convolutions as one batched matrix product, because XLA's CPU
    backend runs grouped ``conv_general_dilated`` slowly; inside :func:`lax_convolutions` every
    kind runs as ``conv_general_dilated``. The results agree to float32 rounding.

    Padding is ``((k - 1) // 2, k // 2)`` per axis by default ("same" for stride 1) or 0 with
    ``padding="valid"``.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int] = 1,
        *,
        stride: int = 1,
        groups: int = 1,
        use_bias: bool = False,
        padding: str = "same",
        rngs: nnx.Rngs,
    ):
        check_groups(in_channels, groups, "convolution input")
        check_groups(out_channels, groups, "convolution output")
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}.")
        kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
        shape = (*kernel, in_channels // groups, out_channels)
        self.kernel = nnx.Param(nnx.initializers.lecun_normal()(rngs.params(), shape))
        self.bias = nnx.Param(jnp.zeros((out_channels,))) if use_bias else None
        self.stride = stride
        self.groups = groups
        self.padding = [((k - 1) // 2, k // 2) if padding == "same" else (0, 0) for k in kernel]
        self.depthwise = groups > 1 and groups == in_channels == out_channels

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        kernel = self.kernel[...]
        kh, kw, cin_group, cout = kernel.shape
        if _USE_LAX_CONVOLUTION[0] or not (self.depthwise or (kh == kw == 1 and self.groups > 1)):
            y = jax.lax.conv_general_dilated(
                x,
                kernel,
                (self.stride, self.stride),
                self.padding,
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
                feature_group_count=self.groups,
            )
        elif self.depthwise:
            y = _depthwise_taps(x, kernel, self.stride, self.padding)
        else:
            x = x[..., :: self.stride, :: self.stride, :] if self.stride > 1 else x
            grouped = x.reshape(*x.shape[:-1], self.groups, cin_group)
            weights = kernel.reshape(cin_group, self.groups, cout // self.groups).transpose(1, 0, 2)
            y = jnp.einsum("...gi,gio->...go", grouped, weights).reshape(*x.shape[:-1], cout)
        return y if self.bias is None else y + self.bias[...]


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
        self.conv = Conv(in_channels, out_channels, kernel_size, stride=stride, groups=groups, rngs=rngs)
        self.norm = nnx.BatchNorm(out_channels, momentum=0.9, rngs=rngs)
        self.activation = activation

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        y = self.norm(self.conv(x))
        fn = ACTIVATIONS[self.activation]
        return y if fn is None else fn(y)
