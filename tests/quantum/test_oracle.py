import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.quantum import (
    Circuit,
    apply_oracle,
    bits_to_int,
    check_secret,
    int_to_bits,
    run_circuit,
    simon_oracle_ops,
    simon_table,
)
from jaxsim.quantum.circuit import _run

SECRETS = [(1, 0, 1), (0, 0, 1), (1, 1, 1), (0, 0, 0), (0, 1, 1, 0)]


@pytest.mark.parametrize("s", SECRETS)
def test_table_has_simons_promise(s):
    n = len(s)
    for key in (None, jax.random.key(4)):
        table = np.asarray(simon_table(s, key))
        s_int = bits_to_int(s)
        for x in range(1 << n):
            for y in range(1 << n):
                assert (table[x] == table[y]) == (y in (x, x ^ s_int))


@pytest.mark.parametrize("s", [(1, 0, 1), (0, 0, 0), (0, 1, 1, 0)])
def test_permutation_and_gate_oracles_agree(s):
    n = len(s)
    rng = np.random.default_rng(bits_to_int(s))
    psi = rng.normal(size=(2,) * (2 * n)) + 1j * rng.normal(size=(2,) * (2 * n))
    psi = (psi / np.linalg.norm(psi)).astype(np.complex64)
    by_gates = _run(jnp.asarray(psi), Circuit.from_ops(2 * n, simon_oracle_ops(s)))
    by_table = apply_oracle(jnp.asarray(psi), simon_table(s), n)
    # Both are permutations of the same amplitudes, so they agree exactly.
    assert np.array_equal(np.asarray(by_gates), np.asarray(by_table))


def test_oracle_maps_basis_states():
    table = np.array([3, 0, 2, 1])
    for x in range(4):
        for a in range(4):
            psi = jnp.zeros(16, jnp.complex64).at[4 * x + a].set(1).reshape((2,) * 4)
            out = np.asarray(apply_oracle(psi, table, 2)).reshape(-1)
            assert out[4 * x + (a ^ table[x])] == 1


def test_bits_round_trip():
    assert int_to_bits(bits_to_int((1, 0, 1, 1)), 4) == (1, 0, 1, 1)


def test_wrong_secret_length_raises():
    with pytest.raises(ValueError, match="n=3 bits, got 2"):
        check_secret([1, 0], 3)


def test_secret_with_non_bits_raises():
    with pytest.raises(ValueError, match="only 0 and 1"):
        simon_table([1, 2, 0])


def test_oracle_rejects_bad_table():
    psi = jnp.zeros((2,) * 4, jnp.complex64)
    with pytest.raises(ValueError, match="4 entries"):
        apply_oracle(psi, np.arange(3), 2)
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        apply_oracle(psi, np.array([0, 1, 2, 4]), 2)
