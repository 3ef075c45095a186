"""Architectures of public decoder-only transformers, with the source of each configuration.

Each entry copies the sizes from the model's public configuration file (Hugging Face
``config.json`` of the released checkpoint) or, for OPT-175B, whose weights are not openly
hosted, from Table 1 of Zhang et al. 2022, "OPT: Open Pre-trained Transformer Language Models",
arXiv:2205.01068. Biases and layer-norm parameters are not modelled: they are below 0.1 % of the
parameters of every model here.
"""

from __future__ import annotations

import equinox as eqx

__all__ = ["TransformerConfig", "MODEL_CONFIGS", "MODEL_SOURCES", "get_model", "known_models"]


class TransformerConfig(eqx.Module):
    """Sizes of a decoder-only transformer; every field is static.

    Attributes:
        name: identifier, e.g. ``"llama-2-70b"``.
        n_layers: number of transformer blocks.
        d_model: hidden size.
        n_heads: attention (query) heads.
        n_kv_heads: key/value heads; fewer than ``n_heads`` for grouped-query attention
            (Ainslie et al. 2023, "GQA", arXiv:2305.13245).
        d_ff: hidden size of the feed-forward network.
        gated_ffn: whether the feed-forward network is gated (SwiGLU, three matrices) rather
            than two matrices with a pointwise activation.
        activation: the feed-forward activation, for the record (``"gelu"``, ``"relu"``, ``"silu"``).
        vocab_size: rows of the embedding matrix.
        tied_embeddings: whether the output projection reuses the input embedding.
        parallel_residual: whether attention and feed-forward read the same input and are summed,
            as in GPT-J and GPT-NeoX, so tensor parallelism needs one all-reduce per block, not two.
    """

    name: str = eqx.field(static=True)
    n_layers: int = eqx.field(static=True)
    d_model: int = eqx.field(static=True)
    n_heads: int = eqx.field(static=True)
    n_kv_heads: int = eqx.field(static=True)
    d_ff: int = eqx.field(static=True)
    gated_ffn: bool = eqx.field(static=True)
    activation: str = eqx.field(static=True)
    vocab_size: int = eqx.field(static=True)
    tied_embeddings: bool = eqx.field(static=True)
    parallel_residual: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        for field in ("n_layers", "d_model", "n_heads", "n_kv_heads", "d_ff", "vocab_size"):
            value = getattr(self, field)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TransformerConfig {self.name!r} needs a positive integer {field}, got {value!r}.")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"TransformerConfig {self.name!r}: d_model={self.d_model} is not divisible by n_heads={self.n_heads}."
            )
        if self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"TransformerConfig {self.name!r}: n_heads={self.n_heads} is not a multiple of "
                f"n_kv_heads={self.n_kv_heads}; grouped-query attention shares each key/value head "
                "among a whole number of query heads."
            )

    @property
    def head_dim(self) -> int:
        """Size of one attention head, ``d_model / n_heads``."""
        return self.d_model // self.n_heads

    @property
    def kv_dim(self) -> int:
        """Width of the key (or value) projection, ``n_kv_heads * head_dim``."""
        return self.n_kv_heads * self.head_dim

    @property
    def params_per_layer(self) -> int:
        """Weights of one block: Q, K, V, O projections and the feed-forward matrices."""
        attention = self.d_model * (2 * self.d_model + 2 * self.kv_dim)
        ffn = (3 if self.gated_ffn else 2) * self.d_model * self.d_ff
        return attention + ffn

    @property
    def embedding_params(self) -> int:
        """Weights of the input embedding and, unless tied, the output projection."""
        return (1 if self.tied_embeddings else 2) * self.vocab_size * self.d_model

    @property
    def n_params(self) -> int:
        """Total weights counted by this model (no biases or norms)."""
        return self.n_layers * self.params_per_layer + self.embedding_params


MODEL_CONFIGS: dict[str, TransformerConfig] = {
    "gpt-j-6b": TransformerConfig(
        "gpt-j-6b", n_layers=28, d_model=4096, n_heads=16, n_kv_heads=16, d_ff=16384, gated_ffn=False,
        activation="gelu", vocab_size=50400, tied_embeddings=False, parallel_residual=True,
    ),
    "gpt-neox-20b": TransformerConfig(
        "gpt-neox-20b", n_layers=44, d_model=6144, n_heads=64, n_kv_heads=64, d_ff=24576, gated_ffn=False,
        activation="gelu", vocab_size=50432, tied_embeddings=False, parallel_residual=True,
    ),
    "opt-66b": TransformerConfig(
        "opt-66b", n_layers=64, d_model=9216, n_heads=72, n_kv_heads=72, d_ff=36864, gated_ffn=False,
        activation="relu", vocab_size=50272, tied_embeddings=True,
    ),
    "opt-175b": TransformerConfig(
        "opt-175b", n_layers=96, d_model=12288, n_heads=96, n_kv_heads=96, d_ff=49152, gated_ffn=False,
        activation="relu", vocab_size=50272, tied_embeddings=True,
    ),
    "bloom-176b": TransformerConfig(
        "bloom-176b", n_layers=70, d_model=14336, n_heads=112, n_kv_heads=112, d_ff=57344, gated_ffn=False,
        activation="gelu", vocab_size=250880, tied_embeddings=True,
    ),
    "llama-2-7b": TransformerConfig(
        "llama-2-7b", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=32, d_ff=11008, gated_ffn=True,
        activation="silu", vocab_size=32000, tied_embeddings=False,
    ),
    "llama-2-13b": TransformerConfig(
        "llama-2-13b", n_layers=40, d_model=5120, n_heads=40, n_kv_heads=40, d_ff=13824, gated_ffn=True,
        activation="silu", vocab_size=32000, tied_embeddings=False,
    ),
    "llama-2-70b": TransformerConfig(
        "llama-2-70b", n_layers=80, d_model=8192, n_heads=64, n_kv_heads=8, d_ff=28672, gated_ffn=True,
        activation="silu", vocab_size=32000, tied_embeddings=False,
    ),
}

#: Source of each configuration.
MODEL_SOURCES: dict[str, str] = {
    "gpt-j-6b": "config.json of EleutherAI/gpt-j-6b (n_inner unset, so d_ff = 4 d_model)",
    "gpt-neox-20b": "config.json of EleutherAI/gpt-neox-20b; Black et al. 2022, arXiv:2204.06745",
    "opt-66b": "config.json of facebook/opt-66b",
    "opt-175b": "Zhang et al. 2022, OPT, arXiv:2205.01068, Table 1 (96 layers, 96 heads, d_model 12288)",
    "bloom-176b": "config.json of bigscience/bloom (d_ff = 4 d_model)",
    "llama-2-7b": "config.json of meta-llama/Llama-2-7b-hf",
    "llama-2-13b": "config.json of meta-llama/Llama-2-13b-hf",
    "llama-2-70b": "config.json of meta-llama/Llama-2-70b-hf (num_key_value_heads = 8)",
}


def known_models() -> list[str]:
    """Return the sorted names :func:`get_model` accepts."""
    return sorted(MODEL_CONFIGS)


def get_model(name: str) -> TransformerConfig:
    """Return the configuration ``name``.

    Raises:
        ValueError: if ``name`` is unknown; the message lists the known names.
    """
    key = name.lower()
    if key not in MODEL_CONFIGS:
        raise ValueError(
            f"unknown model {name!r}; known models: {', '.join(known_models())}. "
            "Build your own with TransformerConfig(...)."
        )
    return MODEL_CONFIGS[key]
