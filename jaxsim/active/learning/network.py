"""A local, permutation-symmetric attention network for the score of active particles.

For particle ``i`` the network reads ``k + 1`` tokens: one for the particle itself and one
for each of its ``k`` nearest neighbours ``j``. A neighbour token contains the minimum-image
displacement ``r_ij = x_j - x_i`` (divided by ``length_scale``), its length, the neighbour's
self-propulsion ``g_j`` and, for tethered or trapped systems, the neighbour's displacement
``u_j`` from its anchor. The particle's own token holds ``g_i``, ``u_i`` and a flag. A stack
of pre-norm transformer blocks (self-attention over the ``k + 1`` tokens, then an MLP)
mixes them and the own token is decoded into the score components of particle ``i``:
``d`` components for ``g_i`` and, when ``score_positions`` is set (translational noise
``eps > 0``), ``d`` more for ``x_i``.

Beside the attention stack runs a linear skip path, linear in the token features with
coefficients that depend on a neighbour's radial coordinate ``rho_ij`` only:

    s_skip,i = W_0 f_i + sum_j sum_b phi_b(rho_ij) W_b f_j,

with radial basis functions ``phi_b`` that vanish smoothly at the cutoff. ``rho_ij`` is the
separation of the anchors ``|r_ij - u_j + u_i|`` for anchored systems and ``|r_ij|``
otherwise. The score of a Gaussian density is linear in the states. On a tethered lattice
the coefficient of a neighbour depends only on its lattice shell, so this path represents
that score, and the attention stack learns only the nonlinear remainder. Without
it the network has to build a linear map out of layer norms and softmaxes. Its error in the
``x`` components, which nearly cancel against the drift in ``v_x = b_x - eps s_x``, then
biases the entropy production upwards.

Attention over a set without positional encodings is permutation equivariant, and the own
token is read out, so the score of ``i`` does not depend on the order of its neighbours or
on the labels of the particles. The network sees only relative displacements within its
neighbourhood, so the same weights apply to any N and box size, and memory and time scale
as ``O(N k^2)`` with a fixed small ``k``.

The architecture follows the local transformer of N. M. Boffi and E. Vanden-Eijnden, "Deep
learning probability flows and entropy production rates in active matter",
arXiv:2309.12991 (2023), in outline; the layer sizes here are chosen for CPU training.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float

__all__ = ["ScoreNetConfig", "ScoreNetwork"]


@dataclasses.dataclass(frozen=True)
class ScoreNetConfig:
    """Hyperparameters of :class:`ScoreNetwork` (all static).

    Attributes:
        dim: spatial dimension ``d``.
        n_neighbors: neighbours per particle ``k``.
        width: token embedding width.
        n_blocks: transformer blocks.
        n_heads: attention heads (must divide ``width``).
        mlp_ratio: hidden width of each block's MLP over ``width``.
        score_positions: also output the ``d`` position components of the score.
        anchored: tokens carry the displacement ``u`` from an anchor (trap centre or
            tether site); off for translation-invariant systems in a periodic box.
        length_scale: unit that displacements are divided by, e.g. the particle diameter.
        cutoff: radius beyond which a neighbour gets zero attention, or None for none. The
            attention logits of neighbour ``j`` get ``log f(r_ij)`` with the cosine envelope
            ``f(r) = (1 + cos(pi r / cutoff)) / 2`` (J. Behler, "Atom-centered symmetry
            functions for constructing high-dimensional neural network potentials", J. Chem.
            Phys. 134, 074106, 2011), so that the score stays continuous when a neighbour
            beyond the cutoff enters or leaves the k-nearest set. Choose it so that fewer than
            ``k`` particles usually lie within it.
        linear_skip: add the linear skip path (see the module docstring) to the read-out.
        skip_basis: radial basis functions of the skip path (see :func:`radial_basis`).
    """

    dim: int = 2
    n_neighbors: int = 8
    width: int = 32
    n_blocks: int = 2
    n_heads: int = 4
    mlp_ratio: int = 2
    score_positions: bool = False
    anchored: bool = False
    length_scale: float = 1.0
    cutoff: float | None = None
    linear_skip: bool = True
    skip_basis: int = 16

    def __post_init__(self):
        if self.dim < 1:
            raise ValueError(f"dim must be >= 1, got {self.dim}.")
        if self.n_neighbors < 1:
            raise ValueError(f"n_neighbors must be >= 1, got {self.n_neighbors}.")
        if self.width < 1 or self.n_blocks < 1 or self.mlp_ratio < 1:
            raise ValueError(
                f"width, n_blocks and mlp_ratio must be >= 1, got {self.width}, {self.n_blocks}, {self.mlp_ratio}."
            )
        if self.n_heads < 1 or self.width % self.n_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be >= 1 and divide width ({self.width}).")
        if not self.length_scale > 0:
            raise ValueError(f"length_scale must be > 0, got {self.length_scale}.")
        if self.cutoff is not None and not self.cutoff > 0:
            raise ValueError(f"cutoff must be > 0 or None, got {self.cutoff}.")
        if self.skip_basis < 2:
            raise ValueError(f"skip_basis must be >= 2, got {self.skip_basis}.")

    @property
    def n_features(self) -> int:
        """Features per token: ``r`` (d), ``|r|``, ``g`` (d), ``u`` (d if anchored), self flag."""
        return 2 * self.dim + 2 + (self.dim if self.anchored else 0)

    @property
    def n_outputs(self) -> int:
        """Score components per particle: ``g`` (d), then ``x`` (d) if ``score_positions``."""
        return self.dim * (2 if self.score_positions else 1)


class _Attention(nnx.Module):
    # Multi-head self-attention over the token axis with an additive logit bias per key token.
    def __init__(self, width: int, n_heads: int, rngs: nnx.Rngs):
        self.n_heads = n_heads
        self.qkv = nnx.Linear(width, 3 * width, rngs=rngs)
        self.out = nnx.Linear(width, width, rngs=rngs)

    def __call__(self, tokens: Array, bias: Array | None) -> Array:
        *batch, n_tokens, width = tokens.shape
        depth = width // self.n_heads
        qkv = self.qkv(tokens).reshape(*batch, n_tokens, 3, self.n_heads, depth)
        query, key, value = qkv[..., 0, :, :], qkv[..., 1, :, :], qkv[..., 2, :, :]
        logits = jnp.einsum("...qhc,...khc->...hqk", query, key) / jnp.sqrt(jnp.asarray(depth, tokens.dtype))
        if bias is not None:
            logits = logits + bias[..., None, None, :]
        weights = jax.nn.softmax(logits, axis=-1)
        mixed = jnp.einsum("...hqk,...khc->...qhc", weights, value)
        return self.out(mixed.reshape(*batch, n_tokens, width))


def envelope_bias(config: ScoreNetConfig, tokens: Array) -> Array | None:
    """Return the logit bias ``log f(r)`` per token from the ``|r|`` feature, or None without cutoff."""
    if config.cutoff is None:
        return None
    distance = tokens[..., config.dim] * config.length_scale
    inside = distance < config.cutoff
    # The double where keeps the gradient finite at and beyond the cutoff.
    safe = jnp.where(inside, distance, 0.0)
    # The floor keeps log f and its gradient finite where f rounds to zero just inside the cutoff.
    envelope = jnp.maximum(0.5 * (1.0 + jnp.cos(jnp.pi * safe / config.cutoff)), 1e-12)
    return jnp.where(inside, jnp.log(envelope), -1e9)


class _LinearSkip(nnx.Module):
    # Linear in the token features, with distance-dependent neighbour coefficients.
    def __init__(self, config: ScoreNetConfig, rngs: nnx.Rngs):
        self.config = config
        zeros = nnx.initializers.zeros_init()
        self.own = nnx.Linear(config.n_features, config.n_outputs, use_bias=False, kernel_init=zeros, rngs=rngs)
        self.neighbor = nnx.Param(jnp.zeros((config.skip_basis, config.n_features, config.n_outputs)))

    def __call__(self, tokens: Array) -> Array:
        config = self.config
        own, neighbors = tokens[..., 0, :], tokens[..., 1:, :]
        d = config.dim
        if config.anchored:
            # Distance between the anchors, r_ij - u_j + u_i: it does not move with the
            # particles, so the coefficient of a lattice neighbour stays that of its shell.
            anchors = slice(2 * d + 1, 3 * d + 1)
            separation = neighbors[..., :d] - neighbors[..., anchors] + own[..., None, anchors]
            anchor_distance = jnp.sqrt(jnp.sum(separation**2, axis=-1) + 1e-12)
            weights = radial_basis(config, anchor_distance * config.length_scale)
            # The taper in the actual distance keeps the path continuous where a neighbour
            # enters or leaves the k-nearest set (at the cutoff).
            weights = weights * cutoff_taper(config, neighbors[..., d] * config.length_scale)[..., None]
        else:
            weights = radial_basis(config, neighbors[..., d] * config.length_scale)
        return self.own(own) + jnp.einsum("...kb,...kf,bfo->...o", weights, neighbors, self.neighbor[...])


def cutoff_taper(config: ScoreNetConfig, distance: Array) -> Array:
    """Return 1 up to one basis spacing ``h`` before the cutoff, then ``cos^2`` down to 0 at it.

    Without a cutoff it is 1 everywhere.
    """
    if config.cutoff is None:
        return jnp.ones_like(distance)
    spacing = config.cutoff / config.skip_basis
    offset = jnp.clip((distance - (config.cutoff - spacing)) / spacing, 0.0, 1.0)
    return jnp.cos(0.5 * jnp.pi * offset) ** 2


def radial_basis(config: ScoreNetConfig, distance: Array) -> Array:
    """Return the skip path's radial basis ``phi_b(r)``, shape ``distance.shape + (skip_basis,)``.

    Bumps ``cos^2(pi (r - c_b) / (2 h))`` for ``|r - c_b| < h`` with centres ``c_b = b h``
    sum to 1 wherever two of them overlap, so a constant coefficient over a range of
    distances is represented exactly. With a cutoff, ``h = cutoff / skip_basis`` and the
    sum falls smoothly (with zero slope) to 0 at the cutoff, so the skip path stays
    continuous when a neighbour crosses it. Without a cutoff, ``h = 3 length_scale /
    (skip_basis - 1)`` and the last bump stays at 1 beyond its centre.
    """
    n_basis = config.skip_basis
    if config.cutoff is not None:
        spacing = config.cutoff / n_basis
    else:
        spacing = 3.0 * config.length_scale / (n_basis - 1)
    centres = spacing * jnp.arange(n_basis, dtype=distance.dtype)
    offset = (distance[..., None] - centres) / spacing
    if config.cutoff is None:
        # The last bump is flat beyond its centre.
        flat = jnp.arange(n_basis) == n_basis - 1
        offset = jnp.where(flat, jnp.minimum(offset, 0.0), offset)
    inside = jnp.abs(offset) < 1.0
    return jnp.where(inside, jnp.cos(0.5 * jnp.pi * jnp.where(inside, offset, 0.0)) ** 2, 0.0)


class _Block(nnx.Module):
    def __init__(self, config: ScoreNetConfig, rngs: nnx.Rngs):
        width = config.width
        self.norm_attention = nnx.LayerNorm(width, rngs=rngs)
        self.attention = _Attention(width, config.n_heads, rngs)
        self.norm_mlp = nnx.LayerNorm(width, rngs=rngs)
        self.hidden = nnx.Linear(width, config.mlp_ratio * width, rngs=rngs)
        self.out = nnx.Linear(config.mlp_ratio * width, width, rngs=rngs)

    def __call__(self, tokens: Array, mask_bias: Array | None) -> Array:
        tokens = tokens + self.attention(self.norm_attention(tokens), mask_bias)
        hidden = jax.nn.gelu(self.hidden(self.norm_mlp(tokens)))
        return tokens + self.out(hidden)


class ScoreNetwork(nnx.Module):
    """Attention network from ``k + 1`` tokens of one particle to its score components.

    Call it on token features of shape ``(..., k + 1, n_features)`` (built by
    :func:`jaxsim.active.learning.tokens.build_tokens`); it returns ``(..., n_outputs)``.
    Use :func:`jaxsim.active.learning.score.particle_scores` to evaluate it on a whole
    configuration.
    """

    def __init__(self, config: ScoreNetConfig, *, rngs: nnx.Rngs):
        self.config = config
        self.embed = nnx.Linear(config.n_features, config.width, rngs=rngs)
        self.blocks = nnx.List([_Block(config, rngs) for _ in range(config.n_blocks)])
        self.norm_out = nnx.LayerNorm(config.width, rngs=rngs)
        # Zero-initialised read-out, so training starts from the score s = 0.
        self.decode = nnx.Linear(
            config.width, config.n_outputs, kernel_init=nnx.initializers.zeros_init(), rngs=rngs
        )
        self.skip = _LinearSkip(config, rngs) if config.linear_skip else None

    def __call__(self, tokens: Float[Array, "*batch tokens features"]) -> Float[Array, "*batch outputs"]:
        expected = (self.config.n_neighbors + 1, self.config.n_features)
        if tokens.shape[-2:] != expected:
            raise ValueError(
                f"tokens must have trailing shape {expected} (k + 1 tokens, n_features), got {tokens.shape}; "
                "build them with build_tokens from the same ScoreNetConfig."
            )
        bias = envelope_bias(self.config, tokens)
        hidden = self.embed(tokens)
        for block in self.blocks:
            hidden = block(hidden, bias)
        out = self.decode(self.norm_out(hidden[..., 0, :]))
        if self.skip is not None:
            out = out + self.skip(tokens)
        return out
