"""Published efficient CNNs and networks built from a layer-by-layer specification (Flax NNX, NHWC).

Sources:
    Iandola et al. (2016), "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
    <0.5MB model size", arXiv:1602.07360; version 1.1 is the variant released with the
    SqueezeNet code (3x3 first convolution of 64 channels, earlier pooling).
    Sandler et al. (2018), "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
    arXiv:1801.04381, Table 2.
    Wu et al. (2019), "FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable Neural
    Architecture Search", arXiv:1812.03443: Table 1 (macro-architecture) and Figure 4 (the
    blocks of FBNet-A, -B and -C).
    Wu et al. (2018), "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions",
    arXiv:1711.08141 (ShiftNet).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

from jaxsim.vision.blocks import Fire
from jaxsim.vision.layers import ConvBN
from jaxsim.vision.spec import BlockSpec, build_block, parse_spec

__all__ = [
    "SpecNet",
    "SqueezeNet",
    "mobilenet_v2",
    "fbnet",
    "shiftnet",
    "squeezenet1_0",
    "squeezenet1_1",
    "FBNET_SPECS",
    "FBNET_CHANNELS",
    "FBNET_STRIDES",
    "check_input_size",
]


def check_input_size(height: int, width: int, total_stride: int, name: str) -> None:
    """Raise a ValueError when the input is smaller than the network's total stride."""
    if height < total_stride or width < total_stride:
        raise ValueError(
            f"input of {height}x{width} pixels is smaller than the total stride {total_stride} of {name}; "
            f"use an input of at least {total_stride}x{total_stride} or fewer strided layers."
        )


class SpecNet(nnx.Module):
    """A network from a layer-by-layer list of block names: stem, blocks, 1x1 head, pool, classifier.

    ``stem`` is a 3x3 convolution with batch norm; layer ``i`` is the block ``layers[i]`` with
    ``channels[i]`` outputs and stride ``strides[i]``; the head is a 1x1 convolution with batch
    norm to ``head_channels``, then global average pooling and a linear classifier.

    Args:
        layers: block names (see :mod:`jaxsim.vision.spec`) or one string of them.
        channels, strides: per-layer output channels and strides, one per layer.
        num_classes: classifier outputs.
        in_channels: image channels.
        stem_channels, stem_stride: the first convolution.
        head_channels: width of the last 1x1 convolution; 0 drops it.
        activation: ``"relu"`` (FBNet) or ``"relu6"`` (MobileNetV2).
        expand_when_one: whether ``ir_*_e1`` blocks keep their 1x1 expansion (FBNet: yes).

    Raises:
        ValueError: for an unknown block name, a length mismatch, or group counts that do not split.
    """

    def __init__(
        self,
        layers: str | Sequence[str],
        channels: Sequence[int],
        strides: Sequence[int],
        *,
        num_classes: int,
        in_channels: int = 3,
        stem_channels: int = 16,
        stem_stride: int = 2,
        head_channels: int = 0,
        activation: str = "relu",
        expand_when_one: bool = True,
        rngs: nnx.Rngs,
    ):
        specs: list[BlockSpec] = parse_spec(layers)
        if not (len(specs) == len(channels) == len(strides)):
            raise ValueError(
                f"layers, channels and strides must have equal lengths, got {len(specs)}, {len(channels)}, {len(strides)}."
            )
        self.specs = tuple(s.name for s in specs)
        self.stem = ConvBN(in_channels, stem_channels, 3, stride=stem_stride, activation=activation, rngs=rngs)
        blocks = []
        width = stem_channels
        for spec, out, stride in zip(specs, channels, strides):
            blocks.append(
                build_block(spec, width, out, stride=stride, activation=activation, expand_when_one=expand_when_one, rngs=rngs)
            )
            width = out
        self.blocks = nnx.List(blocks)
        self.head = ConvBN(width, head_channels, 1, activation=activation, rngs=rngs) if head_channels else None
        self.classifier = nnx.Linear(head_channels or width, num_classes, rngs=rngs)
        self.total_stride = stem_stride * math.prod(strides)

    def features(self, x: Float[Array, "b h w c"]) -> Float[Array, "b h2 w2 f"]:
        """Return the feature map before global pooling."""
        check_input_size(x.shape[-3], x.shape[-2], self.total_stride, "this network")
        y = self.stem(x)
        for block in self.blocks:
            y = block(y)
        return y if self.head is None else self.head(y)

    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b classes"]:
        return self.classifier(jnp.mean(self.features(x), axis=(-3, -2)))


# FBNet macro-architecture (Wu et al. 2019, Table 1): a 3x3 stem of 16 channels at stride 2,
# then 22 searched layers in stages of 1, 4, 4, 4, 4, 4, 1 layers.
FBNET_CHANNELS: tuple[int, ...] = (16,) + (24,) * 4 + (32,) * 4 + (64,) * 4 + (112,) * 4 + (184,) * 4 + (352,)
FBNET_STRIDES: tuple[int, ...] = (1,) + (2, 1, 1, 1) * 3 + (1, 1, 1, 1) + (2, 1, 1, 1) + (1,)

# Searched blocks of FBNet-A, -B and -C (Wu et al. 2019, Figure 4), one name per layer, stages
# separated by "|"; the last 1x1 convolution has 1504 channels in FBNet-A and 1984 in -B and -C.
FBNET_SPECS: dict[str, tuple[str, int]] = {
    "a": (
        "skip | ir_k3_e3 ir_k3_e1 skip skip | ir_k5_e6 ir_k3_e3 ir_k5_e1 ir_k3_e3"
        " | ir_k5_e6 ir_k5_e3 ir_k5_e1_g2 ir_k5_e6 | ir_k3_e6 ir_k5_e1_g2 ir_k5_e3 ir_k3_e1_g2"
        " | ir_k5_e6 ir_k5_e6 ir_k5_e3 ir_k5_e6 | ir_k5_e6",
        1504,
    ),
    "b": (
        "ir_k3_e1 | ir_k3_e6 ir_k5_e1 ir_k3_e1 ir_k3_e1 | ir_k5_e6 ir_k5_e3 ir_k3_e6 ir_k5_e6"
        " | ir_k5_e6 ir_k5_e1 skip ir_k5_e3 | ir_k5_e6 ir_k3_e1 ir_k5_e1 ir_k5_e3"
        " | ir_k5_e6 ir_k5_e1 ir_k5_e6 ir_k5_e6 | ir_k3_e6",
        1984,
    ),
    "c": (
        "ir_k3_e1 | ir_k3_e6 skip ir_k3_e1 ir_k3_e1 | ir_k5_e6 ir_k5_e3 ir_k5_e6 ir_k3_e6"
        " | ir_k5_e6 ir_k5_e3 ir_k5_e6 ir_k5_e6 | ir_k5_e6 ir_k5_e6 ir_k5_e6 ir_k5_e3"
        " | ir_k5_e6 ir_k5_e6 ir_k5_e6 ir_k5_e6 | ir_k3_e6",
        1984,
    ),
}


def fbnet(variant: str = "a", *, num_classes: int = 1000, in_channels: int = 3, rngs: nnx.Rngs) -> SpecNet:
    """Build FBNet-A, -B or -C (Wu et al. 2019) for 224 x 224 ImageNet-style input."""
    key = variant.lower().removeprefix("fbnet-").removeprefix("fbnet_")
    if key not in FBNET_SPECS:
        raise ValueError(f"unknown FBNet variant {variant!r}; known: {', '.join(FBNET_SPECS)}.")
    layers, head = FBNET_SPECS[key]
    return SpecNet(
        layers,
        FBNET_CHANNELS,
        FBNET_STRIDES,
        num_classes=num_classes,
        in_channels=in_channels,
        stem_channels=16,
        stem_stride=2,
        head_channels=head,
        rngs=rngs,
    )


def _make_divisible(value: float, divisor: int = 8) -> int:
    # Round to the nearest multiple of divisor, never going more than 10 % below value.
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


# MobileNetV2 bottleneck settings (Sandler et al. 2018, Table 2): expansion t, channels c,
# repeats n, stride of the first repeat s.
MOBILENET_V2_SETTINGS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def mobilenet_v2(
    *,
    width: float = 1.0,
    num_classes: int = 1000,
    in_channels: int = 3,
    settings: Sequence[tuple[int, int, int, int]] = MOBILENET_V2_SETTINGS,
    stem_channels: int = 32,
    stem_stride: int = 2,
    head_channels: int = 1280,
    rngs: nnx.Rngs,
) -> SpecNet:
    """Build MobileNetV2 (Sandler et al. 2018) with width multiplier ``width``.

    Channel counts are ``width`` times the table's, rounded to multiples of 8; the head keeps
    1280 channels for ``width <= 1``. ``settings``, ``stem_*`` and ``head_channels`` shrink the
    network for small inputs.
    """
    if width <= 0:
        raise ValueError(f"width must be > 0, got {width}.")
    layers, channels, strides = [], [], []
    for t, c, n, s in settings:
        for i in range(n):
            layers.append(f"ir_k3_e{t}")
            channels.append(_make_divisible(c * width))
            strides.append(s if i == 0 else 1)
    return SpecNet(
        layers,
        channels,
        strides,
        num_classes=num_classes,
        in_channels=in_channels,
        stem_channels=_make_divisible(stem_channels * width),
        stem_stride=stem_stride,
        head_channels=_make_divisible(head_channels * max(1.0, width)) if head_channels else 0,
        activation="relu6",
        expand_when_one=False,
        rngs=rngs,
    )


def shiftnet(
    *,
    num_classes: int = 1000,
    in_channels: int = 3,
    stage_channels: Sequence[int] = (64, 128, 256, 512),
    blocks_per_stage: Sequence[int] = (2, 2, 2, 2),
    expansion: int = 3,
    stem_channels: int = 32,
    stem_stride: int = 2,
    head_channels: int = 0,
    rngs: nnx.Rngs,
) -> SpecNet:
    """Build a ShiftNet: stages of shift-conv modules, each stage after the first halving the resolution.

    This follows the conv-shift-conv design of Wu et al. (2018) with a configurable depth and
    width; it is not one of their published ImageNet configurations.
    """
    if len(stage_channels) != len(blocks_per_stage):
        raise ValueError(
            f"stage_channels and blocks_per_stage must have equal lengths, got {len(stage_channels)} and {len(blocks_per_stage)}."
        )
    layers, channels, strides = [], [], []
    for stage, (c, n) in enumerate(zip(stage_channels, blocks_per_stage)):
        for i in range(n):
            layers.append(f"shift_e{expansion}")
            channels.append(c)
            strides.append(2 if (i == 0 and stage > 0) else 1)
    return SpecNet(
        layers,
        channels,
        strides,
        num_classes=num_classes,
        in_channels=in_channels,
        stem_channels=stem_channels,
        stem_stride=stem_stride,
        head_channels=head_channels,
        rngs=rngs,
    )


def _max_pool_ceil(x: Array, window: int = 3, stride: int = 2) -> Array:
    # Max pooling that rounds the output size up, as Caffe and SqueezeNet do: the last window
    # may hang over the bottom/right edge, where it sees -inf.
    height, width = x.shape[-3], x.shape[-2]
    out_h = -(-(height - window) // stride) + 1
    out_w = -(-(width - window) // stride) + 1
    pad_h = max(0, (out_h - 1) * stride + window - height)
    pad_w = max(0, (out_w - 1) * stride + window - width)
    return jax.lax.reduce_window(
        x,
        -jnp.inf,
        jax.lax.max,
        (1, window, window, 1),
        (1, stride, stride, 1),
        ((0, 0), (0, pad_h), (0, pad_w), (0, 0)),
    )


# SqueezeNet layouts: ("fire", squeeze, expand1x1, expand3x3) or ("pool",).
SQUEEZENET_LAYOUTS: dict[str, tuple] = {
    "1.0": (
        ("fire", 16, 64, 64),
        ("fire", 16, 64, 64),
        ("fire", 32, 128, 128),
        ("pool",),
        ("fire", 32, 128, 128),
        ("fire", 48, 192, 192),
        ("fire", 48, 192, 192),
        ("fire", 64, 256, 256),
        ("pool",),
        ("fire", 64, 256, 256),
    ),
    "1.1": (
        ("fire", 16, 64, 64),
        ("fire", 16, 64, 64),
        ("pool",),
        ("fire", 32, 128, 128),
        ("fire", 32, 128, 128),
        ("pool",),
        ("fire", 48, 192, 192),
        ("fire", 48, 192, 192),
        ("fire", 64, 256, 256),
        ("fire", 64, 256, 256),
    ),
}


class SqueezeNet(nnx.Module):
    """SqueezeNet: a strided first convolution, max pooling, Fire modules, a 1x1 classifier convolution.

    The network ends in ``conv10`` (1x1 to ``num_classes``, ReLU) and global average pooling,
    with no fully connected layer (Iandola et al. 2016). Pools are 3x3, stride 2, rounding up.

    Args:
        layout: entries ``("fire", squeeze, expand1x1, expand3x3)`` or ``("pool",)``.
        stem_channels, stem_kernel, stem_stride: the first convolution (no padding).
        stem_pool: whether max pooling follows the first convolution.
    """

    def __init__(
        self,
        layout: Sequence[tuple],
        *,
        num_classes: int,
        in_channels: int = 3,
        stem_channels: int = 96,
        stem_kernel: int = 7,
        stem_stride: int = 2,
        stem_pool: bool = True,
        rngs: nnx.Rngs,
    ):
        self.stem = nnx.Conv(
            in_channels, stem_channels, (stem_kernel, stem_kernel), strides=stem_stride, padding="VALID", rngs=rngs
        )
        self.stem_pool = stem_pool
        modules = []
        plan = []
        width = stem_channels
        for entry in layout:
            if entry[0] == "pool":
                plan.append("pool")
            elif entry[0] == "fire":
                _, squeeze, e1, e3 = entry
                modules.append(Fire(width, squeeze, e1, e3, rngs=rngs))
                plan.append("fire")
                width = e1 + e3
            else:
                raise ValueError(f"unknown SqueezeNet layout entry {entry!r}; use ('fire', s, e1, e3) or ('pool',).")
        self.fires = nnx.List(modules)
        self.plan = tuple(plan)
        self.classifier = nnx.Conv(width, num_classes, (1, 1), rngs=rngs)
        pools = plan.count("pool") + int(stem_pool)
        self.total_stride = stem_stride * 2**pools
        self.min_size = stem_kernel + (stem_stride * (2**pools - 1) if pools else 0)

    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b classes"]:
        check_input_size(x.shape[-3], x.shape[-2], max(self.total_stride, self.min_size), "this SqueezeNet")
        y = jax.nn.relu(self.stem(x))
        if self.stem_pool:
            y = _max_pool_ceil(y)
        fires = iter(self.fires)
        for step in self.plan:
            y = _max_pool_ceil(y) if step == "pool" else next(fires)(y)
        y = jax.nn.relu(self.classifier(y))
        return jnp.mean(y, axis=(-3, -2))


def squeezenet1_0(*, num_classes: int = 1000, in_channels: int = 3, rngs: nnx.Rngs) -> SqueezeNet:
    """Build SqueezeNet 1.0 (Iandola et al. 2016): 7x7/2 first convolution of 96 channels."""
    return SqueezeNet(SQUEEZENET_LAYOUTS["1.0"], num_classes=num_classes, in_channels=in_channels, rngs=rngs)


def squeezenet1_1(*, num_classes: int = 1000, in_channels: int = 3, rngs: nnx.Rngs) -> SqueezeNet:
    """Build SqueezeNet 1.1: 3x3/2 first convolution of 64 channels and earlier pooling."""
    return SqueezeNet(
        SQUEEZENET_LAYOUTS["1.1"],
        num_classes=num_classes,
        in_channels=in_channels,
        stem_channels=64,
        stem_kernel=3,
        rngs=rngs,
    )
