"""Block names of layer-by-layer network specifications, and the blocks they build.

Grammar of one name (FBNet's naming, Wu et al. 2019, arXiv:1812.03443, extended):

- ``skip``: the identity, or a 1x1 projection where the layer changes shape.
- ``ir_k{K}[_e{E}][_g{G}][_se]``: inverted residual with a K x K depthwise kernel (odd K),
  expansion E (default 1), G groups in both 1x1 convolutions with a channel shuffle (default 1),
  and optional squeeze-excitation. FBNet's candidates are ``ir_k3_e1``, ``ir_k3_e1_g2``,
  ``ir_k3_e3``, ``ir_k3_e6``, ``ir_k5_e1``, ``ir_k5_e1_g2``, ``ir_k5_e3``, ``ir_k5_e6``, ``skip``.
- ``shift_e{E}``: shift-conv module with hidden width ``E * in_channels``.
- ``sqnxt``: SqueezeNext block.
- ``fire``: Fire module with squeeze ``out/8`` and two expand branches of ``out/2``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from flax import nnx

from jaxsim.vision.blocks import Fire, InvertedResidual, ShiftConv, Skip, SqueezeNextBlock

__all__ = ["BlockSpec", "parse_block", "parse_spec", "build_block", "FBNET_CANDIDATES", "KNOWN_BLOCKS"]

FBNET_CANDIDATES: tuple[str, ...] = (
    "ir_k3_e1",
    "ir_k3_e1_g2",
    "ir_k3_e3",
    "ir_k3_e6",
    "ir_k5_e1",
    "ir_k5_e1_g2",
    "ir_k5_e3",
    "ir_k5_e6",
    "skip",
)

KNOWN_BLOCKS = "skip, ir_k{K}[_e{E}][_g{G}][_se] (odd K, e.g. ir_k5_e6, ir_k3_g2, ir_k3_e6_se), shift_e{E}, sqnxt, fire"

_IR = re.compile(r"^ir_k(?P<k>\d+)(?:_e(?P<e>\d+))?(?:_g(?P<g>\d+))?(?P<se>_se)?$")
_SHIFT = re.compile(r"^shift_e(?P<e>\d+)$")


@dataclass(frozen=True)
class BlockSpec:
    """One parsed block name.

    Attributes:
        kind: ``"ir"``, ``"skip"``, ``"shift"``, ``"sqnxt"`` or ``"fire"``.
        kernel: depthwise kernel size (inverted residual only, else 0).
        expansion: hidden width over input width (inverted residual and shift-conv).
        groups: groups of the 1x1 convolutions (inverted residual only).
        se: whether squeeze-excitation is applied.
        name: the name as written.
    """

    kind: str
    kernel: int = 0
    expansion: int = 1
    groups: int = 1
    se: bool = False
    name: str = ""


def parse_block(name: str) -> BlockSpec:
    """Parse one block name.

    Raises:
        ValueError: for a name outside the grammar; the message lists the known names.
    """
    if name in ("skip", "sqnxt", "fire"):
        return BlockSpec(kind=name, name=name)
    match = _IR.match(name)
    if match:
        kernel = int(match["k"])
        expansion = int(match["e"]) if match["e"] else 1
        groups = int(match["g"]) if match["g"] else 1
        if kernel % 2 == 0 or expansion < 1 or groups < 1:
            raise ValueError(f"invalid block {name!r}: kernel must be odd and expansion, groups >= 1.")
        return BlockSpec("ir", kernel, expansion, groups, bool(match["se"]), name)
    match = _SHIFT.match(name)
    if match and int(match["e"]) >= 1:
        return BlockSpec("shift", expansion=int(match["e"]), name=name)
    raise ValueError(f"unknown block name {name!r}; known blocks: {KNOWN_BLOCKS}.")


def parse_spec(spec: str | Sequence[str]) -> list[BlockSpec]:
    """Parse a specification: block names separated by spaces, commas or ``|``, or a list of names."""
    names = re.split(r"[\s,|]+", spec.strip()) if isinstance(spec, str) else list(spec)
    names = [n for n in names if n]
    if not names:
        raise ValueError("empty network specification; give at least one block name.")
    return [parse_block(n) for n in names]


def build_block(
    spec: BlockSpec | str,
    in_channels: int,
    out_channels: int,
    *,
    stride: int = 1,
    activation: str = "relu",
    expand_when_one: bool = True,
    rngs: nnx.Rngs,
) -> nnx.Module:
    """Build the block named by ``spec`` for the given channel counts and stride."""
    spec = parse_block(spec) if isinstance(spec, str) else spec
    if spec.kind == "skip":
        return Skip(in_channels, out_channels, stride=stride, rngs=rngs)
    if spec.kind == "ir":
        return InvertedResidual(
            in_channels,
            out_channels,
            kernel_size=spec.kernel,
            expansion=spec.expansion,
            stride=stride,
            groups=spec.groups,
            se=spec.se,
            expand_when_one=expand_when_one,
            activation=activation,
            rngs=rngs,
        )
    if spec.kind == "shift":
        return ShiftConv(in_channels, out_channels, expansion=spec.expansion, stride=stride, rngs=rngs)
    if spec.kind == "sqnxt":
        return SqueezeNextBlock(in_channels, out_channels, stride=stride, rngs=rngs)
    if spec.kind == "fire":
        if stride != 1:
            raise ValueError(f"a fire block has no stride; got stride={stride}, use a pooling layer or another block.")
        if out_channels % 2 != 0:
            raise ValueError(f"fire out_channels must be even, got {out_channels}.")
        return Fire(in_channels, max(1, out_channels // 8), out_channels // 2, out_channels // 2, rngs=rngs)
    raise ValueError(f"unknown block kind {spec.kind!r}; known blocks: {KNOWN_BLOCKS}.")
