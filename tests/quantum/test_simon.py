import itertools
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import run_on_host_devices

from jaxsim.core.ensemble import ensemble_keys
from jaxsim.quantum import (
    FOUND,
    NEED_MORE_RUNS,
    ONE_TO_ONE,
    bits_to_int,
    run_simon,
    runs_for_failure_probability,
    runs_needed,
    sample_from_probabilities,
    simon_circuit,
    simon_probabilities,
    simon_state,
    simon_table,
    solve_simon,
    success_probability,
    zero_state,
)
from jaxsim.quantum.circuit import _run


def test_circuit_and_fused_state_agree():
    s = (1, 0, 1)
    by_gates = _run(zero_state(6), simon_circuit(s))
    fused = simon_state(simon_table(s), 3)
    assert np.abs(np.asarray(by_gates) - np.asarray(fused)).max() < 1e-6


def test_blocked_state_equals_gather_and_walsh_passes():
    # n = 11 splits the output register into 4 blocks of 512 columns each.
    from jaxsim.quantum import apply_oracle, walsh_hadamard
    from jaxsim.quantum.simon import _block_width

    n = 11
    assert (1 << n) // _block_width(n) > 1
    table = simon_table((1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1), jax.random.key(4))
    x_register = tuple(range(n))
    psi = walsh_hadamard(zero_state(2 * n), x_register)
    psi = walsh_hadamard(apply_oracle(psi, table, n), x_register)
    blocked = simon_state(table, n)
    assert np.abs(np.asarray(psi) - np.asarray(blocked)).max() < 1e-6
    probs = np.abs(np.asarray(psi).reshape(1 << n, 1 << n)) ** 2
    assert np.abs(probs.sum(axis=1) - np.asarray(simon_probabilities(table, n))).max() < 1e-6


@pytest.mark.parametrize("s", [(1, 1, 0, 1), (0, 0, 0, 1), (0, 1, 1, 0, 1, 0, 0)])
def test_outcomes_uniform_on_orthogonal_space(s):
    n = len(s)
    probs = np.asarray(simon_probabilities(simon_table(s, jax.random.key(0)), n))
    s_int = bits_to_int(s)
    for z in range(1 << n):
        orthogonal = bin(z & s_int).count("1") % 2 == 0
        assert abs(probs[z] - (2.0 ** -(n - 1) if orthogonal else 0.0)) < 1e-6


def test_one_to_one_outcomes_uniform():
    probs = np.asarray(simon_probabilities(simon_table((0,) * 5, jax.random.key(1)), 5))
    assert np.abs(probs - 1 / 32).max() < 1e-6


@pytest.mark.parametrize("n", [2, 5, 9])
def test_run_simon_recovers_secret(n):
    rng = np.random.default_rng(n)
    for trial in range(3):
        s = tuple(int(b) for b in rng.integers(0, 2, n))
        if not any(s):
            s = (1,) + s[1:]
        result = run_simon(jax.random.key(trial), simon_table(s, jax.random.key(trial + 10)), n)
        assert int(result.status) == FOUND
        assert int(result.s) == bits_to_int(s)
        assert n - 1 <= int(result.runs) <= n + 20
        assert int(result.queries) == int(result.runs) + 2


@pytest.mark.parametrize("seed", range(4))
def test_run_simon_detects_one_to_one(seed):
    result = run_simon(jax.random.key(seed), simon_table((0,) * 6, jax.random.key(seed)), 6)
    assert int(result.status) == ONE_TO_ONE
    assert int(result.s) == 0


def test_too_few_runs_reported():
    table = simon_table((1, 0, 1, 1, 0, 1), jax.random.key(0))
    result = jax.jit(solve_simon, static_argnums=2)(jnp.zeros(3, jnp.uint32), table, 6)
    assert int(result.status) == NEED_MORE_RUNS
    assert int(result.runs) == 3


def test_success_formula_by_enumeration():
    # All m-tuples of vectors in GF(2)^(n-1) for n - 1 = 3, m = 4: count the spanning ones.
    d, m = 3, 4
    vectors = range(1 << d)
    spanning = 0
    for rows in itertools.product(vectors, repeat=m):
        span = {0}
        for r in rows:
            span |= {v ^ r for v in span}
        spanning += len(span) == 1 << d
    assert abs(float(success_probability(d + 1, m)) - spanning / (1 << (d * m))) < 1e-6


def test_success_formula_edges():
    assert float(success_probability(5, 3)) == 0.0
    assert float(success_probability(1, 0)) == 1.0
    assert float(success_probability(2, 1)) == pytest.approx(0.5)
    assert float(1 - success_probability(10, 20)) < 2.0 ** (10 - 1 - 20)
    assert float(runs_for_failure_probability(10, 0.25)) == pytest.approx(11.0)


def _runs_needed_fn(n, max_runs, probs):
    def fn(key):
        return runs_needed(sample_from_probabilities(key, probs, max_runs), n)

    return fn


def test_success_curve_matches_formula():
    # 4000 trials: the binomial standard error of each frequency is below 0.008, so a
    # tolerance of 0.035 is over 4 sigma at every m.
    n, max_runs, trials = 6, 20, 4000
    probs = simon_probabilities(simon_table((1, 0, 1, 1, 0, 0), jax.random.key(2)), n)
    needed = np.asarray(ensemble_keys(_runs_needed_fn(n, max_runs, probs), jax.random.key(3), trials))
    for m in range(n - 1, max_runs + 1):
        empirical = np.mean(needed <= m)
        assert abs(empirical - float(success_probability(n, m))) < 0.035


def test_success_curve_same_on_one_and_four_devices():
    code = """
    import json, jax, numpy as np
    from jaxsim.core.ensemble import ensemble_keys
    from jaxsim.quantum import runs_needed, sample_from_probabilities, simon_probabilities, simon_table
    probs = simon_probabilities(simon_table((1, 0, 1, 1), jax.random.key(2)), 4)
    fn = lambda key: runs_needed(sample_from_probabilities(key, probs, 12), 4)
    print(json.dumps(np.asarray(ensemble_keys(fn, jax.random.key(3), 10)).tolist()))
    """
    assert run_on_host_devices(code, 1) == run_on_host_devices(code, 4)


def test_memory_error_names_n_before_allocating():
    # The final state at n = 14 is 2 GiB in complex64.
    with pytest.raises(ValueError, match=r"n=14 \(28 qubits\) needs about"):
        simon_state(np.arange(1 << 14), 14, limit_bytes=2**30)


def test_probabilities_need_blocks_not_the_state():
    # Four blocks of 2^20 amplitudes, counted as complex64: 32 MiB.
    with pytest.raises(ValueError, match="needs about"):
        simon_probabilities(np.arange(1 << 10), 10, limit_bytes=2**24)
    probs = simon_probabilities(np.arange(1 << 10), 10, limit_bytes=2**25)
    assert np.abs(np.asarray(probs) - 2.0**-10).max() < 1e-6


def test_wrong_table_length_raises():
    with pytest.raises(ValueError, match="16 entries"):
        simon_probabilities(np.arange(8), 4)


@pytest.mark.slow
def test_recovers_secret_at_n14():
    # 28 qubits: the probabilities are computed block by block, so the 2 GiB state is never held.
    n = 14
    rng = np.random.default_rng(14)
    s = tuple(int(b) for b in rng.integers(0, 2, n))
    result = run_simon(jax.random.key(0), simon_table(s, jax.random.key(1)), n)
    assert int(result.status) == FOUND
    assert int(result.s) == bits_to_int(s)


def test_simon_pipeline_traces_once_per_n():
    from helpers import TraceCounter

    from jaxsim.quantum.simon import _simon_probabilities

    counter = TraceCounter(lambda one, table: _simon_probabilities.__wrapped__(one, table, 4))
    jitted = jax.jit(counter)
    one = jnp.ones((), jnp.complex64)
    for s in [(1, 0, 0, 1), (0, 1, 1, 1), (0, 0, 0, 0)]:
        jitted(one, simon_table(s, jax.random.key(0))).block_until_ready()
    assert counter.count == 1
