"""Efficient convolutional networks in Flax NNX, their costs and latency, and differentiable NAS.

- :mod:`~jaxsim.vision.layers`: channel shuffle, spatial shift, convolution + batch norm.
- :mod:`~jaxsim.vision.blocks`: Fire, SqueezeNext, shift-conv, inverted residual, skip.
- :mod:`~jaxsim.vision.spec`: block names such as ``ir_k5_e6`` and the blocks they build.
- :mod:`~jaxsim.vision.models`: SqueezeNet 1.0/1.1, MobileNetV2, ShiftNet, FBNet-A/B/C.
- :mod:`~jaxsim.vision.counting`: parameter and multiply-accumulate counts without running.
- :mod:`~jaxsim.vision.data`: scikit-learn's 8 x 8 digits with a fixed split.
- :mod:`~jaxsim.vision.training`: training, accuracy and latency of a classifier.
"""

from jaxsim.vision.blocks import Fire, InvertedResidual, ShiftConv, Skip, SqueezeExcitation, SqueezeNextBlock
from jaxsim.vision.counting import CostCount, abstract_model, count_costs, count_macs, count_params
from jaxsim.vision.data import DigitsData, Split, load_digits_splits
from jaxsim.vision.layers import ConvBN, channel_shuffle, shift_directions, spatial_shift
from jaxsim.vision.models import (
    FBNET_CHANNELS,
    FBNET_SPECS,
    FBNET_STRIDES,
    SpecNet,
    SqueezeNet,
    fbnet,
    mobilenet_v2,
    shiftnet,
    squeezenet1_0,
    squeezenet1_1,
)
from jaxsim.vision.spec import FBNET_CANDIDATES, KNOWN_BLOCKS, BlockSpec, build_block, parse_block, parse_spec
from jaxsim.vision.training import TrainResult, accuracy, measure_forward_latency, train_classifier

__all__ = [
    "FBNET_CANDIDATES",
    "FBNET_CHANNELS",
    "FBNET_SPECS",
    "FBNET_STRIDES",
    "KNOWN_BLOCKS",
    "BlockSpec",
    "ConvBN",
    "CostCount",
    "DigitsData",
    "Fire",
    "InvertedResidual",
    "ShiftConv",
    "Skip",
    "SpecNet",
    "Split",
    "SqueezeExcitation",
    "SqueezeNet",
    "SqueezeNextBlock",
    "TrainResult",
    "abstract_model",
    "accuracy",
    "build_block",
    "channel_shuffle",
    "count_costs",
    "count_macs",
    "count_params",
    "fbnet",
    "load_digits_splits",
    "measure_forward_latency",
    "mobilenet_v2",
    "parse_block",
    "parse_spec",
    "shift_directions",
    "shiftnet",
    "spatial_shift",
    "squeezenet1_0",
    "squeezenet1_1",
    "train_classifier",
]
