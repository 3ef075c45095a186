"""Hand-designed baselines for the 8 x 8 digits, of a size similar to the digits search space.

- ``mobilenet_v2_digits``: MobileNetV2's pattern (Sandler et al. 2018, arXiv:1801.04381) on the
  macro-architecture of :data:`~jaxsim.vision.search_space.DIGITS_SPACE`: expansion 1 in the
  first layer, expansion 6 with 3x3 kernels everywhere else, ReLU6.
- ``squeezenet_digits``: SqueezeNet's pattern (Iandola et al. 2016, arXiv:1602.07360): a 3x3
  convolution, Fire modules, two max pools, a 1x1 classifier convolution and average pooling.
"""

from __future__ import annotations

from collections.abc import Callable

from flax import nnx

from jaxsim.vision.models import SpecNet, SqueezeNet
from jaxsim.vision.search_space import DIGITS_SPACE, SearchSpace

__all__ = ["mobilenet_v2_digits", "squeezenet_digits", "BASELINES", "build_baseline"]


def mobilenet_v2_digits(space: SearchSpace = DIGITS_SPACE, *, rngs: nnx.Rngs) -> SpecNet:
    """Build the MobileNetV2-style baseline on the channels and strides of ``space``."""
    layers = ["ir_k3_e1"] + ["ir_k3_e6"] * (space.n_layers - 1)
    return SpecNet(
        layers,
        space.channels,
        space.strides,
        num_classes=space.num_classes,
        in_channels=space.in_channels,
        stem_channels=space.stem_channels,
        stem_stride=space.stem_stride,
        head_channels=space.head_channels,
        activation="relu6",
        expand_when_one=False,
        rngs=rngs,
    )


# 8x8 -> conv 3x3 (stride 1, no padding) -> 6x6 -> fires -> pool -> 3x3 -> fires -> 1x1 conv.
SQUEEZENET_DIGITS_LAYOUT = (
    ("fire", 8, 16, 16),
    ("fire", 8, 16, 16),
    ("pool",),
    ("fire", 16, 32, 32),
    ("fire", 16, 32, 32),
)


def squeezenet_digits(space: SearchSpace = DIGITS_SPACE, *, rngs: nnx.Rngs) -> SqueezeNet:
    """Build the SqueezeNet-style baseline for 8 x 8 single-channel images."""
    return SqueezeNet(
        SQUEEZENET_DIGITS_LAYOUT,
        num_classes=space.num_classes,
        in_channels=space.in_channels,
        stem_channels=32,
        stem_kernel=3,
        stem_stride=1,
        stem_pool=False,
        rngs=rngs,
    )


BASELINES: dict[str, Callable[..., nnx.Module]] = {
    "mobilenet_v2_style": mobilenet_v2_digits,
    "squeezenet_style": squeezenet_digits,
}


def build_baseline(name: str, space: SearchSpace = DIGITS_SPACE, *, rngs: nnx.Rngs) -> nnx.Module:
    """Build the baseline ``name`` (a key of :data:`BASELINES`)."""
    if name not in BASELINES:
        raise ValueError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}.")
    return BASELINES[name](space, rngs=rngs)
