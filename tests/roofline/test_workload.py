import numpy as np
import pytest

from jaxsim.roofline import (
    TransformerConfig,
    check_fits_in_memory,
    check_parallelism,
    decode_cost,
    get_hardware,
    get_model,
    kv_cache_bytes_per_chip,
    precision_bytes,
    prefill_cost,
    weight_bytes_per_chip,
)

# d = 8, 2 query heads of size 4, 1 key/value head (grouped-query), gated FFN of width 16,
# vocabulary 10, 2 layers, bf16 (2 bytes).
TINY = TransformerConfig(
    "tiny", n_layers=2, d_model=8, n_heads=2, n_kv_heads=1, d_ff=16, gated_ffn=True,
    activation="silu", vocab_size=10, tied_embeddings=False,
)


def test_prefill_counts_match_hand_count():
    # One prompt of 3 tokens. Hand count per block (FLOPs, bytes):
    # qkv:      2*3*8*(8+4+4) = 768;      2*(8*16 + 3*8 + 3*16) = 400
    # attention 3*4/2 = 6 causal pairs:   4*1*8*6 = 192;   2*1*(2*8*3 + 2*4*3) = 144
    # out_proj: 2*3*8*8 = 384;            2*(64 + 24 + 24) = 224
    # ffn_in:   2*2*3*8*16 = 1536;        2*(2*8*16 + 24 + 2*3*16) = 752
    # ffn_out:  2*3*16*8 = 768;           2*(128 + 48 + 24) = 400
    # head (last token only): 2*8*10 = 160; 2*(80 + 8 + 10) = 196
    cost = prefill_cost(TINY, 1, 3)
    np.testing.assert_allclose(cost.layer_flops, [768, 192, 384, 1536, 768])
    np.testing.assert_allclose(cost.layer_bytes, [400, 144, 224, 752, 400])
    assert float(cost.head_flops) == 160
    assert float(cost.head_bytes) == 196
    assert float(cost.total_flops) == 2 * (768 + 192 + 384 + 1536 + 768) + 160
    assert float(cost.allreduces_per_layer) == 0


def test_linear_flops_are_two_per_parameter_per_token():
    cost = prefill_cost(TINY, 2, 5)
    linear = float(np.sum(cost.layer_flops) - cost.layer_flops[1])
    assert linear == 2 * TINY.params_per_layer * 2 * 5


def test_decode_counts_match_hand_count():
    # Two sequences with 3 cached tokens each: 4 keys attended, 3 read from the cache plus 1 new.
    # attention FLOPs 4*2*8*4 = 256; bytes 2*2*(2*8*1 + 2*4*(3+1)) = 192
    # qkv FLOPs 2*2*8*16 = 512; bytes 2*(128 + 16 + 32) = 352
    cost = decode_cost(TINY, 2, 3)
    assert float(cost.layer_flops[1]) == 256
    assert float(cost.layer_bytes[1]) == 192
    assert float(cost.layer_flops[0]) == 512
    assert float(cost.layer_bytes[0]) == 352
    assert float(cost.head_flops) == 2 * 2 * 8 * 10


def test_tensor_parallel_splits_flops_and_replicates_kv_head():
    single = prefill_cost(TINY, 1, 3)
    split = prefill_cost(TINY, 1, 3, tensor_parallel=2)
    # Output and FFN matrices split evenly; the one key/value head is replicated on both chips.
    np.testing.assert_allclose(split.layer_flops[2:], single.layer_flops[2:] / 2)
    assert float(split.layer_flops[0]) == 2 * 3 * 8 * (4 + 4 + 4)
    assert float(split.allreduces_per_layer) == 2
    assert float(split.allreduce_bytes) == 2 * 3 * 8


def test_parallel_residual_needs_one_allreduce():
    cost = decode_cost(get_model("gpt-j-6b"), 1, 10, tensor_parallel=2)
    assert float(cost.allreduces_per_layer) == 1


def test_llama_70b_kv_cache_per_token():
    # 2 (K and V) * 80 layers * 8 heads * 128 dims * 2 bytes = 327680 bytes per token.
    per_token = kv_cache_bytes_per_chip(get_model("llama-2-70b"), 1, 1)
    assert float(per_token) == 327680


def test_weight_bytes_split_over_chips():
    config = get_model("llama-2-7b")
    total = weight_bytes_per_chip(config)
    assert total == pytest.approx(2 * config.n_params)
    assert weight_bytes_per_chip(config, tensor_parallel=4) == pytest.approx(total / 4)


def test_bad_tensor_parallel_degree_raises():
    with pytest.raises(ValueError, match="does not divide the 32 attention heads"):
        check_parallelism(get_model("llama-2-7b"), 3)
    with pytest.raises(ValueError, match="positive integer"):
        check_parallelism(get_model("llama-2-7b"), 0)
    twelve_heads = TransformerConfig("gqa", 1, 48, 12, 4, 64, True, "silu", 10, False)
    with pytest.raises(ValueError, match="key/value heads"):
        check_parallelism(twelve_heads, 6)


@pytest.mark.parametrize("kwargs", [{"batch": 0}, {"batch": -1.0}, {"prompt_tokens": 0}, {"prompt_tokens": float("nan")}])
def test_nonpositive_sizes_raise(kwargs):
    args = {"batch": 1, "prompt_tokens": 4}
    args.update(kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        prefill_cost(TINY, args["batch"], args["prompt_tokens"])
    with pytest.raises(ValueError, match="context_tokens"):
        decode_cost(TINY, 1, -1)


def test_model_that_does_not_fit_raises_with_degree():
    a100 = get_hardware("a100-80gb")
    with pytest.raises(ValueError, match=r"tensor_parallel >= 2"):
        check_fits_in_memory(get_model("llama-2-70b"), a100, 1, 2048)
    used = check_fits_in_memory(get_model("llama-2-70b"), a100, 1, 2048, tensor_parallel=4)
    assert used < float(a100.memory_capacity)


def test_precision_bytes_lookup():
    assert precision_bytes("bf16") == 2.0
    with pytest.raises(ValueError, match="unknown precision 'fp4'"):
        precision_bytes("fp4")
