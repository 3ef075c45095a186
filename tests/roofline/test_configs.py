import pytest

from jaxsim.roofline import MODEL_SOURCES, TransformerConfig, get_model, known_models

# Published parameter counts (model cards / papers), in billions; biases and norms are not counted
# here, which is below 0.1 % for every model, so a 0.5 % tolerance covers them.
PUBLISHED_BILLIONS = {
    "gpt-j-6b": 6.05,
    "gpt-neox-20b": 20.55,
    "opt-66b": 65.7,
    "opt-175b": 175.0,
    "bloom-176b": 176.2,
    "llama-2-7b": 6.74,
    "llama-2-13b": 13.02,
    "llama-2-70b": 68.98,
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_BILLIONS))
def test_parameter_count_matches_published(name):
    assert get_model(name).n_params / 1e9 == pytest.approx(PUBLISHED_BILLIONS[name], rel=5e-3)


def test_every_model_names_its_source():
    assert set(MODEL_SOURCES) == set(known_models())
    assert all(MODEL_SOURCES[name] for name in known_models())


def test_llama_2_70b_uses_grouped_query_attention():
    config = get_model("llama-2-70b")
    assert config.n_heads == 64
    assert config.n_kv_heads == 8
    assert config.kv_dim == 1024
    assert config.gated_ffn


def test_unknown_model_lists_known_names():
    with pytest.raises(ValueError, match="unknown model 'gpt-5'") as info:
        get_model("gpt-5")
    for name in known_models():
        assert name in str(info.value)


def test_config_rejects_bad_sizes():
    with pytest.raises(ValueError, match="n_layers"):
        TransformerConfig("bad", 0, 8, 2, 2, 16, False, "gelu", 10, True)
    with pytest.raises(ValueError, match="not divisible by n_heads"):
        TransformerConfig("bad", 1, 10, 3, 3, 16, False, "gelu", 10, True)
    with pytest.raises(ValueError, match="not a multiple of"):
        TransformerConfig("bad", 1, 12, 4, 3, 16, False, "gelu", 10, True)
