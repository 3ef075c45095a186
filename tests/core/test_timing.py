import time

import jax
import jax.numpy as jnp
import pytest

from jaxsim.core.timing import summarize_times, time_callable, time_jitted


def _heavy(x):
    # A scan of many steps: slow to run relative to its small compile.
    def body(carry, _):
        return jnp.sin(carry) @ jnp.cos(carry).T / carry.shape[0], None

    out, _ = jax.lax.scan(body, x, None, length=200)
    return out


def test_time_jitted_separates_compile_from_run():
    x = jnp.ones((64, 64))
    result = time_jitted(_heavy, x, warmup=1, repeats=5)
    assert result.compile_s > 0
    assert len(result.times_s) == 5
    assert result.min_s <= result.median_s
    assert result.iqr_s >= 0
    # A second compile of an unrolled program is slower than one run of the compiled scan;
    # the point checked here is that run times do not include compilation.
    unrolled = jax.jit(lambda v: sum(jnp.sin(v * i) for i in range(300)))
    slow = time_jitted(unrolled, x, warmup=1, repeats=3)
    assert slow.compile_s > 5 * slow.median_s


def test_time_jitted_waits_for_results():
    x = jnp.ones((256, 256))
    result = time_jitted(lambda v: _heavy(v).sum(), x, repeats=3)
    start = time.perf_counter()
    jax.block_until_ready(jax.jit(_heavy)(x))
    assert result.median_s > 0.1 * (time.perf_counter() - start)


def test_time_jitted_static_arguments():
    result = time_jitted(lambda x, n: x * n, jnp.ones(3), 4, static_argnums=(1,), repeats=2)
    assert len(result.times_s) == 2


def test_time_callable_and_summary():
    result = time_callable(lambda: time.sleep(0.01), warmup=0, repeats=3)
    assert result.compile_s == 0.0
    assert 0.009 < result.median_s < 0.5
    summary = summarize_times(1.0, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert summary.median_s == 3.0
    assert summary.iqr_s == 2.0
    assert summary.to_dict()["times_s"] == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_timing_rejects_bad_counts():
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        time_callable(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="warmup must be >= 0"):
        time_jitted(jnp.sin, jnp.ones(2), warmup=-1)
