"""Tests of the normal variates drawn from both words of each Threefry block."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active.noise import standard_normal

N_DRAWS = 200_000


@pytest.fixture(scope="module")
def draws():
    return np.asarray(standard_normal(jax.random.key(0), (N_DRAWS,)), dtype=np.float64)


def test_moments_match_the_standard_normal(draws):
    # Standard errors of the sample mean, variance, skewness and kurtosis of n normal variates:
    # sqrt(1/n), sqrt(2/n), sqrt(6/n), sqrt(24/n); 5 of them bound a failure by chance below 1e-6.
    n = draws.size
    centred = draws - draws.mean()
    variance = np.mean(centred**2)
    assert abs(draws.mean()) < 5 * math.sqrt(1 / n)
    assert abs(variance - 1.0) < 5 * math.sqrt(2 / n)
    assert abs(np.mean(centred**3) / variance**1.5) < 5 * math.sqrt(6 / n)
    assert abs(np.mean(centred**4) / variance**2 - 3.0) < 5 * math.sqrt(24 / n)


def test_distribution_passes_kolmogorov_smirnov(draws):
    # The Kolmogorov-Smirnov statistic exceeds 1.95 / sqrt(n) with probability 0.001.
    ordered = np.sort(draws)
    cdf = 0.5 * (1.0 + np.vectorize(math.erf)(ordered / math.sqrt(2.0)))
    upper = np.arange(1, ordered.size + 1) / ordered.size
    statistic = max(np.max(upper - cdf), np.max(cdf - (upper - 1.0 / ordered.size)))
    assert statistic < 1.95 / math.sqrt(ordered.size)


def test_words_of_one_block_are_uncorrelated(draws):
    # Variate i and variate i + n/2 are the two output words of one Threefry block.
    half = draws.size // 2
    correlation = np.corrcoef(draws[:half], draws[half:])[0, 1]
    assert abs(correlation) < 5 / math.sqrt(half)
    neighbours = np.corrcoef(draws[:-1], draws[1:])[0, 1]
    assert abs(neighbours) < 5 / math.sqrt(draws.size)


def test_variates_are_finite_and_bounded(draws):
    # The top 23 bits give |2u - 1| <= 1 - 2^-23, so |z| <= sqrt(2) erfinv(1 - 2^-23) < 5.5.
    assert np.all(np.isfinite(draws))
    assert np.max(np.abs(draws)) < 5.5


def test_deterministic_shapes_and_vmap():
    key = jax.random.key(3)
    first = standard_normal(key, (7, 3))
    assert first.shape == (7, 3)
    assert first.dtype == jnp.float32
    np.testing.assert_array_equal(first, standard_normal(key, (7, 3)))
    np.testing.assert_array_equal(first, jax.jit(standard_normal, static_argnums=1)(key, (7, 3)))
    keys = jax.random.split(key, 4)
    batched = jax.vmap(lambda k: standard_normal(k, (5, 3)))(keys)
    for member in range(4):
        np.testing.assert_array_equal(batched[member], standard_normal(keys[member], (5, 3)))
    assert not np.array_equal(batched[0], batched[1])
    assert standard_normal(key, (0, 3)).shape == (0, 3)


def test_raw_uint32_keys_give_the_same_variates():
    key = jax.random.key(5)
    np.testing.assert_array_equal(standard_normal(key, (9,)), standard_normal(jax.random.key_data(key), (9,)))


def test_other_generators_fall_back_to_jax_random_normal():
    key = jax.random.key(1, impl="rbg")
    np.testing.assert_array_equal(standard_normal(key, (6,)), jax.random.normal(key, (6,)))


def test_float64_falls_back_to_jax_random_normal(x64):
    key = jax.random.key(2)
    drawn = standard_normal(key, (6,), jnp.float64)
    assert drawn.dtype == jnp.float64
    np.testing.assert_array_equal(drawn, jax.random.normal(key, (6,), jnp.float64))


def test_threefry_equals_jax_hash():
    from jax.extend import random as jex_random

    from jaxsim.active.noise import threefry_2x32

    words = jax.random.key_data(jax.random.key(11))
    counters = jnp.arange(2 * 37, dtype=jnp.uint32) * jnp.uint32(2654435761)
    expected = jex_random.threefry_2x32(words, counters)
    np.testing.assert_array_equal(jnp.concatenate(threefry_2x32(words, counters[:37], counters[37:])), expected)


@pytest.mark.parametrize("make_key", [jax.random.key, jax.random.PRNGKey])
def test_fold_in_equals_jax_fold_in(make_key):
    from jaxsim.active.noise import fold_in

    key = make_key(13)
    for data in (0, 1, 7, 2**20 + 3, 2**31 - 1):
        expected = jax.random.fold_in(key, data)
        np.testing.assert_array_equal(jax.random.key_data(fold_in(key, jnp.int32(data))), jax.random.key_data(expected))
    steps = jnp.arange(5, dtype=jnp.int32)
    batched = jax.vmap(lambda t: jax.random.key_data(fold_in(key, t)))(steps)
    np.testing.assert_array_equal(batched, jax.vmap(lambda t: jax.random.key_data(jax.random.fold_in(key, t)))(steps))
    rbg = jax.random.key(1, impl="rbg")
    np.testing.assert_array_equal(jax.random.key_data(fold_in(rbg, 3)), jax.random.key_data(jax.random.fold_in(rbg, 3)))
