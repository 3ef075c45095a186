import numpy as np
import pytest

from jaxsim.quantum import gates

PAULI = {"X": gates.X, "Y": gates.Y, "Z": gates.Z}


@pytest.mark.parametrize("name", ["I", "X", "Y", "Z", "H", "S", "T", "CNOT", "CZ", "SWAP"])
def test_constant_gate_unitary(name):
    u = getattr(gates, name)
    assert np.abs(u.conj().T @ u - np.eye(len(u))).max() < 1e-15


@pytest.mark.parametrize("theta", [0.0, 0.3, -1.7, np.pi, 5.0])
@pytest.mark.parametrize("name", ["rx", "ry", "rz", "phase"])
def test_rotation_unitary(x64, name, theta):
    u = np.asarray(getattr(gates, name)(theta))
    assert np.abs(u.conj().T @ u - np.eye(2)).max() < 1e-14


@pytest.mark.parametrize("theta", [0.0, 0.3, -1.7, np.pi])
@pytest.mark.parametrize("axis", ["X", "Y", "Z"])
def test_rotation_matches_exponential(x64, axis, theta):
    # exp(-i t P / 2) = cos(t/2) I - i sin(t/2) P for a Pauli matrix P (P^2 = I).
    expected = np.cos(theta / 2) * np.eye(2) - 1j * np.sin(theta / 2) * PAULI[axis]
    got = np.asarray(getattr(gates, "r" + axis.lower())(theta))
    assert np.abs(got - expected).max() < 1e-14


def test_phase_matches_rz_up_to_global_phase(x64):
    theta = 0.9
    assert np.allclose(np.asarray(gates.phase(theta)), np.exp(1j * theta / 2) * np.asarray(gates.rz(theta)))


def test_constants_match_definitions():
    assert np.allclose(gates.H @ gates.H, np.eye(2))
    assert np.allclose(gates.S @ gates.S, gates.Z)
    assert np.allclose(gates.T @ gates.T, gates.S)
    assert np.allclose(gates.CNOT @ np.array([0, 0, 1, 0]), np.array([0, 0, 0, 1]))
    assert np.allclose(gates.SWAP @ np.array([0, 1, 0, 0]), np.array([0, 0, 1, 0]))


def test_check_unitary_rejects_non_unitary():
    with pytest.raises(ValueError, match="not unitary"):
        gates.check_unitary(np.array([[1, 1], [0, 1]]), 1)


def test_check_unitary_rejects_wrong_shape():
    with pytest.raises(ValueError, match="4x4"):
        gates.check_unitary(np.eye(2), 2)
