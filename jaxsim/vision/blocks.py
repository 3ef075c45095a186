"""Building blocks of efficient convolutional networks, as Flax NNX modules (NHWC).

Sources:
    Iandola, Han, Moskewicz, Ashraf, Dally, Keutzer (2016), "SqueezeNet: AlexNet-level accuracy
    with 50x fewer parameters and <0.5MB model size", arXiv:1602.07360 (Fire module).
    Gholami, Kwon, Wu, Tai, Yue, Jin, Zhao, Keutzer (2018), "SqueezeNext: Hardware-Aware Neural
    Network Design", arXiv:1803.10615 (SqueezeNext block).
    Wu et al. (2018), "Shift: A Zero FLOP, Zero Parameter Alternative to Spatial Convolutions",
    arXiv:1711.08141 (shift-conv module).
    Sandler, Howard, Zhu, Zhmoginov, Chen (2018), "MobileNetV2: Inverted Residuals and Linear
    Bottlenecks", arXiv:1801.04381 (inverted residual).
    Wu, Dai, Zhang, Wang, Sun, Wu, Tian, Vajda, Jia, Keutzer (2019), "FBNet: Hardware-Aware
    Efficient ConvNet Design via Differentiable Neural Architecture Search", arXiv:1812.03443
    (grouped 1x1 convolutions with channel shuffle inside the inverted residual).
    Hu, Shen, Sun (2018), "Squeeze-and-Excitation Networks", arXiv:1709.01507.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

from jaxsim.vision.layers import ACTIVATIONS, ConvBN, channel_shuffle, check_groups, spatial_shift

__all__ = ["Fire", "SqueezeNextBlock", "ShiftConv", "SqueezeExcitation", "InvertedResidual", "Skip"]


class Fire(nnx.Module):
    """Fire module: a 1x1 squeeze convolution feeding parallel 1x1 and 3x3 expand convolutions.

    Output channels are ``expand1x1 + expand3x3`` (the two expand outputs concatenated). Every
    convolution has a bias and a ReLU and no batch normalization, as in Iandola et al. (2016).
    """

    def __init__(self, in_channels: int, squeeze: int, expand1x1: int, expand3x3: int, *, rngs: nnx.Rngs):
        self.squeeze = nnx.Conv(in_channels, squeeze, (1, 1), rngs=rngs)
        self.expand1x1 = nnx.Conv(squeeze, expand1x1, (1, 1), rngs=rngs)
        self.expand3x3 = nnx.Conv(squeeze, expand3x3, (3, 3), padding=1, rngs=rngs)
        self.out_channels = expand1x1 + expand3x3

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h w co"]:
        s = jax.nn.relu(self.squeeze(x))
        return jnp.concatenate([jax.nn.relu(self.expand1x1(s)), jax.nn.relu(self.expand3x3(s))], axis=-1)


class SqueezeNextBlock(nnx.Module):
    """SqueezeNext block: two 1x1 reductions, separable 3x1 and 1x3, a 1x1 expansion and a skip.

    Channels go ``in -> out/2 -> out/4 -> out/2 (3x1) -> out/2 (1x3) -> out`` with batch norm
    and ReLU after each convolution (Gholami et al. 2018). The first 1x1 carries the stride; the
    skip is the identity when shapes agree and a 1x1 projection otherwise. ReLU follows the sum.
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, rngs: nnx.Rngs):
        if out_channels % 4 != 0:
            raise ValueError(f"SqueezeNext out_channels must be divisible by 4, got {out_channels}.")
        half, quarter = out_channels // 2, out_channels // 4
        self.reduce1 = ConvBN(in_channels, half, 1, stride=stride, rngs=rngs)
        self.reduce2 = ConvBN(half, quarter, 1, rngs=rngs)
        self.conv3x1 = ConvBN(quarter, half, (3, 1), rngs=rngs)
        self.conv1x3 = ConvBN(half, half, (1, 3), rngs=rngs)
        self.expand = ConvBN(half, out_channels, 1, rngs=rngs)
        needs_projection = stride != 1 or in_channels != out_channels
        self.shortcut = ConvBN(in_channels, out_channels, 1, stride=stride, rngs=rngs) if needs_projection else None

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        y = self.expand(self.conv1x3(self.conv3x1(self.reduce2(self.reduce1(x)))))
        skip = x if self.shortcut is None else self.shortcut(x)
        return jax.nn.relu(y + skip)


class ShiftConv(nnx.Module):
    """Shift-conv module: 1x1 convolution, spatial shift, 1x1 convolution (Wu et al. 2018).

    The first 1x1 widens to ``in_channels * expansion`` with batch norm and ReLU; the shift mixes
    space at zero cost; the second 1x1 (carrying the stride) projects to ``out_channels`` with
    batch norm and no activation. A residual connection is added when shapes agree.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        expansion: int = 1,
        stride: int = 1,
        kernel_size: int = 3,
        rngs: nnx.Rngs,
    ):
        hidden = in_channels * expansion
        self.conv1 = ConvBN(in_channels, hidden, 1, rngs=rngs)
        self.conv2 = ConvBN(hidden, out_channels, 1, stride=stride, activation="none", rngs=rngs)
        self.kernel_size = kernel_size
        self.residual = stride == 1 and in_channels == out_channels

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        y = self.conv2(spatial_shift(self.conv1(x), self.kernel_size))
        return y + x if self.residual else y


class SqueezeExcitation(nnx.Module):
    """Squeeze-excitation: channel weights from global average pooling (Hu et al. 2018).

    ``y = x * sigmoid(W2 relu(W1 mean_hw(x) + b1) + b2)`` with ``W1`` reducing the channels
    by ``reduction``.
    """

    def __init__(self, channels: int, *, reduction: int = 4, rngs: nnx.Rngs):
        squeezed = max(1, channels // reduction)
        self.reduce = nnx.Conv(channels, squeezed, (1, 1), rngs=rngs)
        self.expand = nnx.Conv(squeezed, channels, (1, 1), rngs=rngs)

    def __call__(self, x: Float[Array, "b h w c"]) -> Float[Array, "b h w c"]:
        pooled = jnp.mean(x, axis=(-3, -2), keepdims=True)
        return x * jax.nn.sigmoid(self.expand(jax.nn.relu(self.reduce(pooled))))


class InvertedResidual(nnx.Module):
    """Inverted residual: 1x1 expansion, k x k depthwise, optional squeeze-excitation, 1x1 projection.

    The hidden width is ``in_channels * expansion``. With ``groups > 1`` both 1x1 convolutions
    are grouped and a channel shuffle follows the expansion (Wu et al. 2019, FBNet). The
    projection is linear (batch norm, no activation), and the input is added back when the
    stride is 1 and the channel counts agree (Sandler et al. 2018).

    Args:
        expand_when_one: whether ``expansion == 1`` still has the 1x1 expansion convolution.
            FBNet's blocks keep it (True), MobileNetV2's first block drops it (False).
        activation: ``"relu"`` (FBNet) or ``"relu6"`` (MobileNetV2).

    Raises:
        ValueError: for a kernel size that is not odd, or channel counts that ``groups`` cannot split.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        kernel_size: int = 3,
        expansion: int = 6,
        stride: int = 1,
        groups: int = 1,
        se: bool = False,
        expand_when_one: bool = True,
        activation: str = "relu",
        rngs: nnx.Rngs,
    ):
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd, got {kernel_size}.")
        if expansion < 1:
            raise ValueError(f"expansion must be >= 1, got {expansion}.")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}.")
        hidden = in_channels * expansion
        check_groups(in_channels, groups, "inverted residual input")
        check_groups(out_channels, groups, "inverted residual output")
        has_expand = expansion != 1 or expand_when_one
        self.expand = ConvBN(in_channels, hidden, 1, groups=groups, activation=activation, rngs=rngs) if has_expand else None
        self.depthwise = ConvBN(hidden, hidden, kernel_size, stride=stride, groups=hidden, activation=activation, rngs=rngs)
        self.se = SqueezeExcitation(hidden, rngs=rngs) if se else None
        self.project = ConvBN(hidden, out_channels, 1, groups=groups, activation="none", rngs=rngs)
        self.groups = groups
        self.residual = stride == 1 and in_channels == out_channels

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        y = x
        if self.expand is not None:
            y = self.expand(y)
            if self.groups > 1:
                y = channel_shuffle(y, self.groups)
        y = self.depthwise(y)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        return y + x if self.residual else y


class Skip(nnx.Module):
    """The ``skip`` choice of a layer: the identity, or a 1x1 projection where the shape changes.

    A layer that changes the channel count or the resolution cannot be the identity, so there
    ``skip`` is a strided 1x1 convolution with batch norm and ReLU, the cheapest map between
    the two shapes.
    """

    def __init__(self, in_channels: int, out_channels: int, *, stride: int = 1, rngs: nnx.Rngs):
        needs_projection = stride != 1 or in_channels != out_channels
        self.projection = ConvBN(in_channels, out_channels, 1, stride=stride, rngs=rngs) if needs_projection else None

    def __call__(self, x: Float[Array, "b h w ci"]) -> Float[Array, "b h2 w2 co"]:
        return x if self.projection is None else self.projection(x)
