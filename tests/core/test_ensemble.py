import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter, run_on_host_devices

from jaxsim.core.ensemble import ensemble, ensemble_keys

_DEVICE_CODE = """
import json, jax, jax.numpy as jnp
from jaxsim.core.ensemble import ensemble, ensemble_keys

def walk(key, drift):
    steps = jax.random.normal(key, (100,))
    return {"end": jnp.sum(steps) + drift, "max": jnp.max(jnp.cumsum(steps))}

out = ensemble_keys(walk, jax.random.key(42), 13, 0.5)
scaled = ensemble(lambda p: p["a"] * jnp.arange(3.0) + p["b"], {"a": jnp.arange(7.0), "b": jnp.ones(7)})
print(json.dumps({"devices": len(jax.devices()), "end": out["end"].tolist(), "max": out["max"].tolist(),
                  "scaled": scaled.tolist(), "shards": len(out["end"].sharding.device_set)}))
"""


def test_ensemble_identical_on_one_and_four_devices():
    one = run_on_host_devices(_DEVICE_CODE, 1)
    four = run_on_host_devices(_DEVICE_CODE, 4)
    assert one["devices"] == 1
    assert four["devices"] == 4
    assert four["shards"] == 4
    assert one["end"] == four["end"]
    assert one["max"] == four["max"]
    assert one["scaled"] == four["scaled"]


def test_ensemble_matches_python_loop():
    batch = {"a": jnp.arange(5.0), "b": jnp.linspace(0, 1, 5)}
    out = ensemble(lambda p, x: p["a"] * x + p["b"], batch, jnp.array([1.0, 2.0]))
    expected = np.stack([float(a) * np.array([1.0, 2.0]) + float(b) for a, b in zip(batch["a"], batch["b"])])
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_ensemble_keys_uses_split_keys():
    key = jax.random.key(3)
    out = ensemble_keys(lambda k: jax.random.uniform(k), key, 6)
    expected = jax.vmap(jax.random.uniform)(jax.random.split(key, 6))
    np.testing.assert_array_equal(out, expected)


def test_ensemble_does_not_retrace_on_second_call():
    counter = TraceCounter(lambda x: x * 2)
    ensemble(counter, jnp.arange(4.0))
    ensemble(counter, jnp.arange(4.0) + 1)
    assert counter.count == 1


def test_ensemble_rejects_ragged_or_empty_batches():
    with pytest.raises(ValueError, match="same leading axis"):
        ensemble(lambda p: p["a"], {"a": jnp.ones(3), "b": jnp.ones(4)})
    with pytest.raises(ValueError, match="size 0"):
        ensemble(lambda p: p, jnp.ones((0, 2)))
    with pytest.raises(ValueError, match="n >= 1"):
        ensemble_keys(lambda k: k, jax.random.key(0), 0)
