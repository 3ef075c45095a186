"""FLOPs and bytes moved by transformer inference, per chip, for prefill and for one decode step.

Counts follow the standard accounting of decoder-only inference (as in Pope et al. 2023,
"Efficiently Scaling Transformer Inference", arXiv:2211.05102, and Kaplan et al. 2020,
arXiv:2001.08361, section 2.1): a matrix multiply of ``T`` tokens by a ``k x n`` weight costs
``2 T k n`` FLOPs and moves the weight plus its input and output activations. Per block, with
``d = d_model``, ``d_kv = n_kv_heads * head_dim``, ``f = d_ff``, ``s`` bytes per element and
tensor-parallel degree ``t`` (Megatron-style: columns of QKV and the first FFN matrix, rows of
the output and second FFN matrix split over ``t`` chips; Shoeybi et al. 2019, arXiv:1909.08053):

=========== ================================ =================================================
operation   FLOPs per chip                   bytes per chip
=========== ================================ =================================================
qkv         ``2 T d (d + 2 d_kv) / t``       ``s [d (d + 2 d_kv) / t + T d + T (d + 2 d_kv) / t]``
attention   ``4 b (d / t) A``                ``s b [2 (d / t) q + 2 (d_kv / t) (k + q)]``
out_proj    ``2 T d^2 / t``                  ``s [d^2 / t + T d / t + T d]``
ffn_in      ``2 m T d f / t``                ``s [m d f / t + T d + m T f / t]``
ffn_out     ``2 T f d / t``                  ``s [f d / t + T f / t + T d]``
=========== ================================ =================================================

with ``m = 2`` for a gated FFN and 1 otherwise, ``T`` tokens processed. The attention score and
value products count only the causal (lower-triangular) entries: prefill of ``p`` tokens has
``A = p (p + 1) / 2`` query-key pairs per sequence, ``q = p`` queries and ``k = 0`` cached keys
(the fused kernel reads Q, K, V and writes the output once); a decode step with ``c`` cached
tokens has ``A = c + 1``, ``q = 1`` and reads ``k = c`` cached keys and values. The output
projection to the vocabulary (``2 b d V / t`` FLOPs, ``s d V / t`` weight bytes) runs for the
last position of each sequence only. Every block ends with all-reduces of the ``T d s`` byte
activation across the ``t`` chips: two per block, or one for parallel-residual blocks.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from jaxsim.roofline.configs import TransformerConfig
from jaxsim.roofline.hardware import Hardware

__all__ = [
    "OP_NAMES",
    "PRECISION_BYTES",
    "PhaseCost",
    "ModelDims",
    "model_dims",
    "stack_dims",
    "as_dims",
    "prefill_cost",
    "decode_cost",
    "check_parallelism",
    "kv_heads_per_chip",
    "weight_bytes_per_chip",
    "kv_cache_bytes_per_chip",
    "check_fits_in_memory",
    "precision_bytes",
]

#: Operations of one transformer block, in the order of :attr:`PhaseCost.layer_flops`.
OP_NAMES: tuple[str, ...] = ("qkv", "attention", "out_proj", "ffn_in", "ffn_out")

#: Bytes per element of the supported precisions.
PRECISION_BYTES: dict[str, float] = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}


def precision_bytes(precision: str) -> float:
    """Return the bytes per element of ``precision``.

    Raises:
        ValueError: for an unknown precision; the message lists the known ones.
    """
    if precision not in PRECISION_BYTES:
        raise ValueError(f"unknown precision {precision!r}; known precisions: {', '.join(PRECISION_BYTES)}.")
    return PRECISION_BYTES[precision]


class ModelDims(eqx.Module):
    """Per-chip sizes of a model at a tensor-parallel degree, as array leaves.

    The counts need only these numbers, so rows of different models and degrees stack into one
    :class:`ModelDims` with a leading axis and run under one ``vmap`` (one compilation for a
    whole data set). Build one with :func:`model_dims`.

    Attributes:
        d_model: hidden size ``d``.
        d_q: query (and attention output) width per chip, ``d / t``.
        d_kv: key (or value) width per chip, ``max(n_kv / t, 1) * head_dim``.
        d_ff: feed-forward width per chip, ``d_ff / t``.
        ffn_in_matrices: ``m``, 2 for a gated feed-forward network, else 1.
        vocab: vocabulary columns per chip, ``V / t``.
        n_layers: number of blocks.
        allreduces_per_layer: all-reduces per block; 0 when ``t = 1``.
        tensor_parallel: the degree ``t``.
    """

    d_model: Float[ArrayLike, "..."]
    d_q: Float[ArrayLike, "..."]
    d_kv: Float[ArrayLike, "..."]
    d_ff: Float[ArrayLike, "..."]
    ffn_in_matrices: Float[ArrayLike, "..."]
    vocab: Float[ArrayLike, "..."]
    n_layers: Float[ArrayLike, "..."]
    allreduces_per_layer: Float[ArrayLike, "..."]
    tensor_parallel: Float[ArrayLike, "..."]


def model_dims(config: TransformerConfig, tensor_parallel: int = 1) -> ModelDims:
    """Return the per-chip sizes of ``config`` split over ``tensor_parallel`` chips.

    Raises:
        ValueError: if the degree does not divide the heads (see :func:`check_parallelism`).
    """
    check_parallelism(config, tensor_parallel)
    t = tensor_parallel
    if t == 1:
        allreduces = 0
    elif config.parallel_residual:
        allreduces = 1
    else:
        allreduces = 2
    return ModelDims(
        d_model=float(config.d_model),
        d_q=config.d_model / t,
        d_kv=float(kv_heads_per_chip(config, t) * config.head_dim),
        d_ff=config.d_ff / t,
        ffn_in_matrices=2.0 if config.gated_ffn else 1.0,
        vocab=config.vocab_size / t,
        n_layers=float(config.n_layers),
        allreduces_per_layer=float(allreduces),
        tensor_parallel=float(t),
    )


def stack_dims(dims: list[ModelDims]) -> ModelDims:
    """Stack several :class:`ModelDims` along a new leading axis, for ``vmap``."""
    if not dims:
        raise ValueError("stack_dims needs at least one ModelDims.")
    return jax.tree.map(lambda *leaves: jnp.stack([jnp.asarray(leaf, dtype=float) for leaf in leaves]), *dims)


class PhaseCost(eqx.Module):
    """Work of one inference phase (a prefill or one decode step) on each of ``t`` chips.

    Attributes:
        layer_flops: ``(..., 5)`` FLOPs of one block per chip, ordered as :data:`OP_NAMES`.
        layer_bytes: ``(..., 5)`` bytes moved in main memory by one block per chip.
        head_flops: FLOPs of the output projection to the vocabulary per chip.
        head_bytes: bytes of the output projection per chip.
        allreduce_bytes: size of each all-reduce message in bytes.
        n_layers: number of blocks.
        allreduces_per_layer: all-reduces per block (0 when ``t = 1``).
        tensor_parallel: tensor-parallel degree ``t``.
    """

    layer_flops: Float[Array, "... 5"]
    layer_bytes: Float[Array, "... 5"]
    head_flops: Float[Array, "..."]
    head_bytes: Float[Array, "..."]
    allreduce_bytes: Float[Array, "..."]
    n_layers: Float[ArrayLike, "..."]
    allreduces_per_layer: Float[ArrayLike, "..."]
    tensor_parallel: Float[ArrayLike, "..."]

    @property
    def total_flops(self) -> Float[Array, "..."]:
        """FLOPs of the whole phase on one chip."""
        return self.n_layers * jnp.sum(self.layer_flops, axis=-1) + self.head_flops

    @property
    def total_bytes(self) -> Float[Array, "..."]:
        """Main-memory bytes of the whole phase on one chip."""
        return self.n_layers * jnp.sum(self.layer_bytes, axis=-1) + self.head_bytes


def as_dims(model: TransformerConfig | ModelDims, tensor_parallel: int | None) -> ModelDims:
    """Return ``model`` as :class:`ModelDims`; a :class:`ModelDims` already carries its degree.

    Raises:
        ValueError: for a :class:`ModelDims` together with a ``tensor_parallel`` other than None.
    """
    if isinstance(model, ModelDims):
        if tensor_parallel is not None:
            raise ValueError(
                f"tensor_parallel={tensor_parallel} was given with ModelDims, which already fix the degree; pass None."
            )
        return model
    return model_dims(model, 1 if tensor_parallel is None else tensor_parallel)


def check_parallelism(config: TransformerConfig, tensor_parallel: int) -> None:
    """Check that ``tensor_parallel`` splits the heads of ``config`` evenly.

    Key/value heads may be fewer than the chips (each chip then keeps a copy of one), but their
    count and ``tensor_parallel`` must divide one another.

    Raises:
        ValueError: if the degree is not a positive integer or does not divide the heads.
    """
    if not isinstance(tensor_parallel, (int, np.integer)) or isinstance(tensor_parallel, bool) or tensor_parallel < 1:
        raise ValueError(f"tensor_parallel must be a positive integer, got {tensor_parallel!r}.")
    if config.n_heads % tensor_parallel:
        divisors = [t for t in range(1, config.n_heads + 1) if config.n_heads % t == 0 and t <= 64]
        raise ValueError(
            f"tensor_parallel={tensor_parallel} does not divide the {config.n_heads} attention heads of "
            f"{config.name}; use one of {divisors}."
        )
    kv = config.n_kv_heads
    if kv % tensor_parallel and tensor_parallel % kv:
        raise ValueError(
            f"tensor_parallel={tensor_parallel} and the {kv} key/value heads of {config.name} do not divide "
            "one another; pick a degree that divides or is a multiple of the key/value heads."
        )


def kv_heads_per_chip(config: TransformerConfig, tensor_parallel: int) -> int:
    """Return the key/value heads each chip stores: ``n_kv / t``, or one replicated head if ``t > n_kv``."""
    return max(config.n_kv_heads // tensor_parallel, 1)


def _check_sizes(**sizes: ArrayLike) -> None:
    for name, value in sizes.items():
        try:
            array = np.asarray(value, dtype=float)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
            continue
        if not (np.all(np.isfinite(array)) and np.all(array > 0)):
            raise ValueError(f"{name} must be finite and > 0, got {value}.")


def _check_nonnegative_sizes(**sizes: ArrayLike) -> None:
    for name, value in sizes.items():
        try:
            array = np.asarray(value, dtype=float)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError, TypeError):
            continue
        if not (np.all(np.isfinite(array)) and np.all(array >= 0)):
            raise ValueError(f"{name} must be finite and >= 0, got {value}.")


def _phase(dims: ModelDims, batch, queries, cached, pairs, bytes_per_element) -> PhaseCost:
    """Count one phase for ``batch`` sequences with ``queries`` new tokens each.

    ``cached`` is the number of keys read from the cache per sequence and ``pairs`` the number
    of causal query-key pairs per sequence (module docstring).
    """
    s = jnp.asarray(bytes_per_element, dtype=float)
    batch = jnp.asarray(batch, dtype=float)
    d, d_q, d_kv, f, m = dims.d_model, dims.d_q, dims.d_kv, dims.d_ff, dims.ffn_in_matrices
    tokens = batch * queries
    qkv_cols = d_q + 2 * d_kv
    layer_flops = jnp.stack(
        [
            2 * tokens * d * qkv_cols,
            4 * batch * d_q * pairs,
            2 * tokens * d_q * d,
            2 * m * tokens * d * f,
            2 * tokens * f * d,
        ],
        axis=-1,
    )
    layer_bytes = s[..., None] * jnp.stack(
        [
            d * qkv_cols + tokens * d + tokens * qkv_cols,
            batch * (2 * d_q * queries + 2 * d_kv * (cached + queries)),
            d_q * d + tokens * d_q + tokens * d,
            m * d * f + tokens * d + m * tokens * f,
            f * d + tokens * f + tokens * d,
        ],
        axis=-1,
    )
    return PhaseCost(
        layer_flops=layer_flops,
        layer_bytes=layer_bytes,
        head_flops=2 * batch * d * dims.vocab,
        head_bytes=s * (d * dims.vocab + batch * d + batch * dims.vocab),
        allreduce_bytes=s * tokens * d,
        n_layers=dims.n_layers,
        allreduces_per_layer=dims.allreduces_per_layer,
        tensor_parallel=dims.tensor_parallel,
    )


def prefill_cost(
    model: TransformerConfig | ModelDims,
    batch: Float[ArrayLike, ""],
    prompt_tokens: Float[ArrayLike, ""],
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
) -> PhaseCost:
    """Count the work of processing ``batch`` prompts of ``prompt_tokens`` tokens each.

    Causal attention over ``p`` tokens has ``p (p + 1) / 2`` query-key pairs per head; the
    vocabulary projection runs for the last token only (see the module docstring for every
    count). ``batch`` and ``prompt_tokens`` may be real numbers, for gradients. ``model`` is a
    configuration split over ``tensor_parallel`` chips (default 1) or :class:`ModelDims`.

    Raises:
        ValueError: for concrete non-positive sizes or a degree that does not divide the heads.
    """
    _check_sizes(batch=batch, prompt_tokens=prompt_tokens, bytes_per_element=bytes_per_element)
    dims = as_dims(model, tensor_parallel)
    p = jnp.asarray(prompt_tokens, dtype=float)
    return _phase(dims, batch, p, jnp.zeros_like(p), p * (p + 1) / 2, bytes_per_element)


def decode_cost(
    model: TransformerConfig | ModelDims,
    batch: Float[ArrayLike, ""],
    context_tokens: Float[ArrayLike, ""],
    *,
    tensor_parallel: int | None = None,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
) -> PhaseCost:
    """Count the work of one decode step: one new token for each of ``batch`` sequences.

    Each sequence has ``context_tokens`` keys and values in the cache; the step reads them all
    plus every weight, and appends one key and value per layer.

    Raises:
        ValueError: for concrete non-positive batch, negative context or a bad degree.
    """
    _check_sizes(batch=batch, bytes_per_element=bytes_per_element)
    _check_nonnegative_sizes(context_tokens=context_tokens)
    dims = as_dims(model, tensor_parallel)
    c = jnp.asarray(context_tokens, dtype=float)
    return _phase(dims, batch, jnp.ones_like(c), c, c + 1, bytes_per_element)


def weight_bytes_per_chip(
    config: TransformerConfig, *, tensor_parallel: int = 1, bytes_per_element: float = 2.0
) -> float:
    """Return the bytes of weights each chip stores (key/value projections replicated if needed)."""
    check_parallelism(config, tensor_parallel)
    t = tensor_parallel
    d = config.d_model
    d_kv_chip = kv_heads_per_chip(config, t) * config.head_dim
    attention = d * (2 * d / t + 2 * d_kv_chip)
    ffn = (3 if config.gated_ffn else 2) * d * config.d_ff / t
    return bytes_per_element * (config.n_layers * (attention + ffn) + config.embedding_params / t)


def kv_cache_bytes_per_chip(
    config: TransformerConfig,
    batch: Float[ArrayLike, ""],
    sequence_tokens: Float[ArrayLike, ""],
    *,
    tensor_parallel: int = 1,
    bytes_per_element: Float[ArrayLike, ""] = 2.0,
) -> Float[Array, ""]:
    """Return the key/value cache bytes per chip: ``2 L b n s d_kv_chip`` for ``n`` tokens."""
    check_parallelism(config, tensor_parallel)
    d_kv_chip = kv_heads_per_chip(config, tensor_parallel) * config.head_dim
    return (
        jnp.asarray(bytes_per_element)
        * 2
        * config.n_layers
        * jnp.asarray(batch, dtype=float)
        * jnp.asarray(sequence_tokens, dtype=float)
        * d_kv_chip
    )


def check_fits_in_memory(
    config: TransformerConfig,
    hardware: Hardware,
    batch: float,
    sequence_tokens: float,
    *,
    tensor_parallel: int = 1,
    bytes_per_element: float = 2.0,
) -> float:
    """Check that weights plus the key/value cache fit in one chip's memory; return the bytes used.

    Activations and workspace are not counted, so a configuration that passes may still need a
    little more memory in practice.

    Raises:
        ValueError: if the bytes per chip exceed ``hardware.memory_capacity``; the message gives
            the smallest tensor-parallel degree that would fit the weights.
    """
    weights = weight_bytes_per_chip(config, tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element)
    cache = float(
        kv_cache_bytes_per_chip(
            config, batch, sequence_tokens, tensor_parallel=tensor_parallel, bytes_per_element=bytes_per_element
        )
    )
    capacity = float(hardware.memory_capacity)
    needed = weights + cache
    if needed > capacity:
        minimum = math.ceil(weights * tensor_parallel / capacity)
        raise ValueError(
            f"{config.name} needs {needed / 2**30:.1f} GiB per chip on {hardware.name} "
            f"({weights / 2**30:.1f} GiB weights + {cache / 2**30:.1f} GiB KV cache at batch {batch}, "
            f"{sequence_tokens} tokens, tensor_parallel={tensor_parallel}) but the chip has "
            f"{capacity / 2**30:.1f} GiB; use tensor_parallel >= {minimum} (that divides the heads), "
            "a smaller batch, or a chip with more memory."
        )
    return needed
