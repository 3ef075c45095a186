import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter
from quantum.reference import controlled_matrix, full_operator, random_state

from jaxsim.quantum import (
    Circuit,
    apply_controlled,
    apply_gate,
    cnot,
    controlled,
    gates,
    hadamard,
    one_qubit,
    run_circuit,
    two_qubit,
)
from jaxsim.quantum.circuit import _run

N = 4
ONE_QUBIT = {
    "H": gates.H, "X": gates.X, "Y": gates.Y, "Z": gates.Z, "S": gates.S, "T": gates.T,
    "rx": np.asarray(gates.rx(0.4)), "ry": np.asarray(gates.ry(-1.1)), "rz": np.asarray(gates.rz(2.3)),
}
TWO_QUBIT = {"CNOT": gates.CNOT, "CZ": gates.CZ, "SWAP": gates.SWAP}
# complex64 states: each amplitude is rounded to 2^-24 relative per operation, and a few
# gates on normalised states keep the error near 1e-7; 1e-5 leaves a wide margin.
ATOL32 = 1e-5


@pytest.mark.parametrize("name", sorted(ONE_QUBIT))
@pytest.mark.parametrize("qubit", range(N))
def test_one_qubit_gate_matches_matrix(name, qubit):
    rng = np.random.default_rng(qubit)
    psi = random_state(rng, N)
    expected = full_operator(ONE_QUBIT[name], (qubit,), N) @ psi.reshape(-1)
    got = apply_gate(psi.astype(np.complex64), ONE_QUBIT[name].astype(np.complex64), qubit)
    assert np.abs(np.asarray(got).reshape(-1) - expected).max() < ATOL32


@pytest.mark.parametrize("name", sorted(TWO_QUBIT))
@pytest.mark.parametrize("qubits", [(0, 1), (1, 0), (0, 3), (3, 1), (2, 3)])
def test_two_qubit_gate_matches_matrix(name, qubits):
    rng = np.random.default_rng(7)
    psi = random_state(rng, N)
    u = TWO_QUBIT[name]
    expected = full_operator(u, qubits, N) @ psi.reshape(-1)
    got = apply_gate(psi.astype(np.complex64), u.astype(np.complex64), qubits)
    assert np.abs(np.asarray(got).reshape(-1) - expected).max() < ATOL32


@pytest.mark.parametrize("control,target", [(0, 1), (1, 0), (3, 0), (0, 3), (2, 1)])
def test_controlled_gate_matches_matrix(control, target):
    rng = np.random.default_rng(control * 5 + target)
    psi = random_state(rng, N)
    u = np.asarray(gates.ry(0.8))
    expected = full_operator(controlled_matrix(u), (control, target), N) @ psi.reshape(-1)
    got = apply_controlled(psi.astype(np.complex64), u.astype(np.complex64), control, target)
    assert np.abs(np.asarray(got).reshape(-1) - expected).max() < ATOL32


def _mixed_ops():
    rng = np.random.default_rng(3)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4)))
    q = q.astype(np.complex64)
    return [
        hadamard(0),
        cnot(0, 2),
        one_qubit(gates.rx(0.3), 3),
        two_qubit(q, 3, 1),
        controlled(gates.rz(1.2), 1, 2),
        two_qubit(gates.SWAP, 0, 3),
        cnot(3, 0),
    ]


def _dense(op):
    m = np.asarray(op.matrix)
    if op.kind == 1:
        target, control = op.qubits
        return full_operator(controlled_matrix(m), (control, target), N)
    return full_operator(m, op.qubits, N)


def test_circuit_matches_dense_product():
    ops = _mixed_ops()
    expected = np.eye(1 << N)
    for op in ops:
        expected = _dense(op) @ expected
    unitary = Circuit.from_ops(N, ops).unitary()
    assert np.abs(unitary - expected).max() < ATOL32


def test_circuit_unitary_is_unitary():
    unitary = Circuit.from_ops(N, _mixed_ops()).unitary()
    assert np.abs(unitary.conj().T @ unitary - np.eye(1 << N)).max() < ATOL32


def test_run_circuit_donates_input():
    circuit = Circuit.from_ops(N, _mixed_ops())
    psi = jnp.zeros((2,) * N, jnp.complex64).at[(0,) * N].set(1)
    out = run_circuit(psi, circuit)
    assert out.shape == (2,) * N
    assert psi.is_deleted()


def test_run_circuit_jaxpr_does_not_grow_with_depth():
    # A scan body is traced once, so the program differs only in its shapes for 3 and 30 gates.
    def size(depth):
        circuit = Circuit.from_ops(N, [hadamard(i % N) for i in range(depth)])
        jaxpr = jax.make_jaxpr(_run)(jnp.zeros((2,) * N, jnp.complex64), circuit)
        return re.sub(r"\d+", "", str(jaxpr))

    assert size(3) == size(30)


def test_run_circuit_traces_once_per_shape():
    counter = TraceCounter(_run)
    jitted = jax.jit(counter)
    psi = jnp.zeros((2,) * N, jnp.complex64).at[(0,) * N].set(1)
    for theta in (0.1, 0.2, 0.3):
        circuit = Circuit.from_ops(N, [one_qubit(gates.ry(theta), 1), cnot(1, (1 + round(10 * theta)) % N)])
        jitted(psi, circuit).block_until_ready()
    assert counter.count == 1


def test_vmap_over_states():
    rng = np.random.default_rng(0)
    states = np.stack([random_state(rng, N) for _ in range(3)]).astype(np.complex64)
    circuit = Circuit.from_ops(N, _mixed_ops())
    batched = jax.jit(jax.vmap(_run, in_axes=(0, None)))(jnp.asarray(states), circuit)
    unitary = circuit.unitary()
    for i in range(3):
        assert np.abs(np.asarray(batched[i]).reshape(-1) - unitary @ states[i].reshape(-1)).max() < ATOL32


def test_grad_through_parameterised_gates(x64):
    # <Z_0> after RY(a) on qubit 0 then CRX(b) is cos(a); d/da = -sin(a), d/db = 0.
    def expectation(params):
        a, b = params
        circuit = Circuit.from_ops(2, [one_qubit(gates.ry(a), 0), controlled(gates.rx(b), 0, 1)])
        psi = run_circuit(jnp.zeros((2, 2), jnp.complex128).at[0, 0].set(1), circuit)
        probs = jnp.abs(psi) ** 2
        return jnp.sum(probs[0]) - jnp.sum(probs[1])

    params = jnp.array([0.7, 0.4])
    grad = jax.jit(jax.grad(expectation))(params)
    expectation = jax.jit(expectation)
    h = 1e-6
    for i in range(2):
        step = jnp.zeros(2).at[i].set(h)
        fd = (expectation(params + step) - expectation(params - step)) / (2 * h)
        # central differences in float64 are accurate to about h^2 + eps / h = 1e-10.
        assert abs(float(grad[i]) - float(fd)) < 1e-8
    assert abs(float(grad[0]) + np.sin(0.7)) < 1e-10


@pytest.mark.parametrize("qubits", [(4,), (-1,), (1, 1)])
def test_bad_qubits_raise(qubits):
    psi = np.zeros((2,) * N, np.complex64)
    matrix = gates.H if len(qubits) == 1 else gates.CNOT
    with pytest.raises(ValueError, match=str(qubits[0])):
        apply_gate(psi, matrix, qubits)


def test_controlled_on_same_qubit_raises():
    with pytest.raises(ValueError, match="repeated"):
        apply_controlled(np.zeros((2,) * N, np.complex64), gates.X, 2, 2)


def test_non_unitary_gate_raises():
    with pytest.raises(ValueError, match="not unitary"):
        apply_gate(np.zeros((2,) * N, np.complex64), np.array([[1, 0], [0, 2]]), 0)
    with pytest.raises(ValueError, match="not unitary"):
        Circuit.from_ops(N, [one_qubit(np.array([[1, 1], [0, 1]]), 0)])


def test_circuit_rejects_out_of_range_qubit():
    with pytest.raises(ValueError, match="out of range"):
        Circuit.from_ops(N, [cnot(0, N)])


def test_run_circuit_rejects_wrong_state_size():
    circuit = Circuit.from_ops(N, [hadamard(0)])
    with pytest.raises(ValueError, match="3 qubits"):
        run_circuit(jnp.zeros((2, 2, 2), jnp.complex64), circuit)


def test_circuit_concatenation_runs_both_parts():
    first = Circuit.from_ops(2, [hadamard(0)])
    second = Circuit.from_ops(2, [cnot(0, 1)])
    combined = first + second
    assert combined.depth == 2
    bell = np.asarray(combined.unitary())[:, 0]
    assert np.allclose(bell, np.array([1, 0, 0, 1]) / np.sqrt(2), atol=1e-6)


def test_circuit_concatenation_rejects_other_sizes():
    with pytest.raises(ValueError, match="same number of qubits"):
        Circuit.from_ops(2, [hadamard(0)]) + Circuit.from_ops(3, [hadamard(0)])
