import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.quantum import (
    bits_to_int,
    collision_search,
    log_query_lower_bound,
    query_lower_bound,
    simon_table,
    success_upper_bound,
)

search = jax.jit(collision_search)


@pytest.mark.parametrize("s", [(1, 0, 1, 1, 0), (0, 0, 0, 0, 1), (1, 1, 1, 1, 1, 1, 0, 1)])
def test_collision_search_finds_secret(s):
    table = simon_table(s, jax.random.key(1))
    for seed in range(5):
        result = search(jax.random.key(seed), table)
        assert bool(result.found)
        assert int(result.s) == bits_to_int(s)
        assert 2 <= int(result.queries) <= 2 ** (len(s) - 1) + 1


def test_collision_search_query_count_is_exact():
    # Replay the search in Python: stop at the first repeated value in the query order.
    table = simon_table((0, 1, 1, 0, 1, 1), jax.random.key(2))
    key = jax.random.key(9)
    order = np.asarray(jax.random.permutation(key, 64))
    seen = set()
    for count, x in enumerate(order, start=1):
        value = int(table[x])
        if value in seen:
            break
        seen.add(value)
    assert int(search(key, table).queries) == count


def test_one_to_one_stops_at_pigeonhole_bound():
    n = 6
    result = search(jax.random.key(0), simon_table((0,) * n, jax.random.key(3)))
    assert not bool(result.found)
    assert int(result.queries) == 2 ** (n - 1) + 1
    assert int(result.s) == 0


def test_query_bound_closed_form(x64):
    for n in (4.0, 10.0, 30.5):
        for p in (0.5, 0.99):
            k = (p * (2**n - 1) - 1) / (1 + p)
            expected = 0.5 + np.sqrt(0.25 + 2 * k)
            assert abs(float(query_lower_bound(n, p)) / expected - 1) < 1e-12


def test_query_bound_large_n_is_finite():
    assert np.isfinite(float(log_query_lower_bound(2000.0, 0.9)))


def test_success_bound_holds_for_collision_search():
    # The empirical success within q queries never exceeds the bound for any algorithm;
    # 200 trials give a binomial standard error below 0.036, so 0.12 is over 3 sigma.
    n = 8
    keys = jax.random.split(jax.random.key(5), 200)
    tables = jax.vmap(lambda k: simon_table((1, 0, 0, 1, 1, 0, 1, 0), k))(keys)
    queries = np.asarray(jax.vmap(search)(jax.random.split(jax.random.key(6), 200), tables).queries)
    for q in (4, 8, 12, 16):
        empirical = np.mean(queries <= q)
        assert empirical <= float(success_upper_bound(n, q)) + 0.12


@pytest.mark.slow
def test_query_count_grows_as_square_root():
    # Expected queries of a birthday search on 2^(n-1) pairs grow as 2^(n/2), so the slope of
    # log2(mean queries) against n tends to 0.5; from n = 4..12 it is within 0.1 of it.
    ns = np.arange(4, 13, 2)
    means = []
    for n in ns:
        s = (1,) + (0,) * (n - 1)
        table = simon_table(s, jax.random.key(int(n)))
        result = jax.vmap(search, in_axes=(0, None))(jax.random.split(jax.random.key(0), 150), table)
        means.append(float(jnp.mean(result.queries)))
    slope = np.polyfit(ns, np.log2(means), 1)[0]
    assert abs(slope - 0.5) < 0.1
