import jax
import jax.numpy as jnp
import numpy as np
import pytest
from quantum.reference import random_state

from jaxsim.quantum import gates, outcome_bits, probabilities, sample, walsh_hadamard

N = 7
ATOL32 = 1e-5  # a few complex64 roundings on a normalised state


@pytest.mark.parametrize("qubits", [(0,), (0, 1, 2, 3, 4, 5, 6), (1, 2, 5), (6, 0, 3, 4)])
def test_walsh_matches_hadamard_gates(qubits):
    rng = np.random.default_rng(len(qubits))
    psi = random_state(rng, N).astype(np.complex64)
    matrix = np.eye(1)
    for q in range(N):
        matrix = np.kron(matrix, gates.H if q in qubits else np.eye(2))
    expected = (matrix @ psi.reshape(-1)).reshape(psi.shape)
    got = walsh_hadamard(jnp.asarray(psi), qubits)
    assert np.abs(np.asarray(got) - np.asarray(expected)).max() < ATOL32


def test_walsh_is_an_involution():
    psi = random_state(np.random.default_rng(1), N).astype(np.complex64)
    twice = walsh_hadamard(walsh_hadamard(jnp.asarray(psi)))
    assert np.abs(np.asarray(twice) - psi).max() < ATOL32


def test_walsh_of_zero_state_is_uniform():
    psi = jnp.zeros((2,) * N, jnp.complex64).at[(0,) * N].set(1)
    out = np.asarray(walsh_hadamard(psi)).reshape(-1)
    assert np.abs(out - 2 ** (-N / 2)).max() < 1e-6


def test_walsh_rejects_repeated_qubits():
    with pytest.raises(ValueError, match="repeated"):
        walsh_hadamard(jnp.zeros((2,) * N, jnp.complex64), (1, 1))


def test_probabilities_marginal_matches_numpy():
    psi = random_state(np.random.default_rng(2), N)
    density = np.abs(psi) ** 2
    expected = density.sum(axis=(0, 2, 4, 5)).transpose(2, 0, 1).reshape(-1)  # keep (6, 1, 3)
    got = probabilities(psi.astype(np.complex64), (6, 1, 3))
    assert np.abs(np.asarray(got) - expected).max() < 1e-6
    assert abs(float(np.sum(got)) - 1) < 1e-5


def test_sample_frequencies_match_probabilities():
    psi = random_state(np.random.default_rng(3), 3).astype(np.complex64)
    shots = 20000
    outcomes = np.asarray(sample(jax.random.key(0), psi, (0, 2), shots=shots))
    probs = np.asarray(probabilities(psi, (0, 2)))
    counts = np.bincount(outcomes, minlength=4)
    # Each count is binomial: 5 standard deviations bound a false alarm below 1e-6.
    sigma = np.sqrt(shots * probs * (1 - probs))
    assert np.all(np.abs(counts - shots * probs) < 5 * sigma + 1)


def test_outcome_bits_most_significant_first():
    bits = np.asarray(outcome_bits(jnp.array([0b101, 0b011]), 3))
    assert bits.tolist() == [[1, 0, 1], [0, 1, 1]]


def test_sample_rejects_zero_shots():
    with pytest.raises(ValueError, match="shots"):
        sample(jax.random.key(0), np.ones((2, 2), np.complex64) / 2, shots=0)
