"""Layer-wise search spaces in the style of FBNet: fixed macro-architecture, one block choice per layer.

Wu et al. (2019), "FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable Neural
Architecture Search", arXiv:1812.03443, fix the channels and strides of every layer (their
Table 1) and search only which candidate block each layer uses (their Table 2). A
:class:`SearchSpace` stores the same for any input size; ``DIGITS_SPACE`` scales it to the 8 x 8
digits: a stride-1 stem and two stride-2 layers, so the last layers see 2 x 2 maps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from flax import nnx

from jaxsim.vision.models import SpecNet
from jaxsim.vision.spec import FBNET_CANDIDATES, parse_block

__all__ = ["SearchSpace", "DIGITS_SPACE", "DIGITS_CANDIDATES", "QUICK_DIGITS_SPACE"]


@dataclass(frozen=True)
class SearchSpace:
    """A macro-architecture (channels and strides per layer) and the candidate blocks of every layer.

    Raises:
        ValueError: for mismatched lengths, an unknown candidate, an input smaller than the
            total stride, or a grouped candidate whose layer input cannot be split into its groups.
    """

    channels: tuple[int, ...]
    strides: tuple[int, ...]
    candidates: tuple[str, ...] = FBNET_CANDIDATES
    stem_channels: int = 8
    stem_stride: int = 1
    head_channels: int = 64
    in_channels: int = 1
    num_classes: int = 10
    input_size: int = 8
    specs: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if len(self.channels) != len(self.strides):
            raise ValueError(f"channels and strides differ in length: {len(self.channels)} vs {len(self.strides)}.")
        object.__setattr__(self, "specs", tuple(parse_block(c) for c in self.candidates))
        if self.input_size < self.total_stride:
            raise ValueError(
                f"input_size={self.input_size} is smaller than the total stride {self.total_stride}; "
                "use fewer stride-2 layers or a larger input."
            )
        for spec in self.specs:
            if spec.kind not in ("ir", "skip"):
                raise ValueError(f"candidate {spec.name!r} is not an inverted residual or skip; the supernet supports only those.")
            for cin, cout, _, _ in self.layer_shapes():
                if cin % spec.groups or cout % spec.groups:
                    raise ValueError(
                        f"candidate {spec.name!r} needs channels divisible by {spec.groups}, "
                        f"but a layer maps {cin} to {cout} channels."
                    )

    @property
    def n_layers(self) -> int:
        return len(self.channels)

    @property
    def n_candidates(self) -> int:
        return len(self.candidates)

    @property
    def total_stride(self) -> int:
        return self.stem_stride * math.prod(self.strides)

    @property
    def size(self) -> int:
        """Number of architectures in the space."""
        return self.n_candidates**self.n_layers

    def layer_shapes(self) -> list[tuple[int, int, int, int]]:
        """Return ``(in_channels, out_channels, stride, input height)`` of every searched layer."""
        shapes = []
        width, size = self.stem_channels, -(-self.input_size // self.stem_stride)
        for cout, stride in zip(self.channels, self.strides):
            shapes.append((width, cout, stride, size))
            width, size = cout, -(-size // stride)
        return shapes

    def final_size(self) -> int:
        """Return the height of the feature map that enters the head."""
        cin, _, stride, size = self.layer_shapes()[-1]
        return -(-size // stride)

    def indices(self, arch: Sequence[str]) -> list[int]:
        """Return the candidate index of every layer of ``arch``."""
        if len(arch) != self.n_layers:
            raise ValueError(f"architecture has {len(arch)} layers, the space has {self.n_layers}.")
        unknown = [a for a in arch if a not in self.candidates]
        if unknown:
            raise ValueError(f"blocks {unknown} are not candidates of this space; candidates: {', '.join(self.candidates)}.")
        return [self.candidates.index(a) for a in arch]

    def build(self, arch: Sequence[str], *, rngs: nnx.Rngs) -> SpecNet:
        """Build the network that uses block ``arch[i]`` in layer ``i``."""
        self.indices(arch)
        return SpecNet(
            list(arch),
            self.channels,
            self.strides,
            num_classes=self.num_classes,
            in_channels=self.in_channels,
            stem_channels=self.stem_channels,
            stem_stride=self.stem_stride,
            head_channels=self.head_channels,
            rngs=rngs,
        )

    def sample(self, rng: np.random.Generator, probs: np.ndarray | None = None) -> tuple[str, ...]:
        """Draw one architecture: uniformly, or layer by layer from ``probs`` of shape (layers, candidates)."""
        if probs is None:
            choice = rng.integers(0, self.n_candidates, size=self.n_layers)
        else:
            probs = np.asarray(probs, dtype=float)
            if probs.shape != (self.n_layers, self.n_candidates):
                raise ValueError(f"probs must have shape {(self.n_layers, self.n_candidates)}, got {probs.shape}.")
            choice = [rng.choice(self.n_candidates, p=p / p.sum()) for p in probs]
        return tuple(self.candidates[int(c)] for c in choice)


# Candidates for the digits: FBNet's kinds with expansion at most 3, so that the supernet (every
# candidate at once) trains in minutes on a CPU.
DIGITS_CANDIDATES: tuple[str, ...] = ("ir_k3_e1", "ir_k3_e1_g2", "ir_k3_e3", "ir_k5_e1", "ir_k5_e3", "skip")

# Digits: 8 x 8 x 1 input, stride-1 stem, resolution 8 -> 4 -> 2 over six searched layers.
DIGITS_SPACE = SearchSpace(channels=(8, 16, 16, 24, 24, 32), strides=(1, 2, 1, 2, 1, 1), candidates=DIGITS_CANDIDATES)

# A three-layer, three-candidate space for the seconds-long smoke run.
QUICK_DIGITS_SPACE = SearchSpace(
    channels=(8, 16, 16), strides=(1, 2, 1), candidates=("ir_k3_e1", "ir_k3_e3", "skip"), head_channels=32
)
