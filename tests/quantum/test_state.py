import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.quantum import PrecisionWarning, apply_gate, basis_state, check_memory, gates, zero_state
from jaxsim.quantum.state import available_memory_bytes, complex_dtype, n_qubits_of


def test_default_dtype_is_complex64():
    assert zero_state(3).dtype == jnp.complex64


def test_x64_dtype_is_complex128(x64):
    assert complex_dtype() == np.complex128
    assert zero_state(3).dtype == jnp.complex128


def test_downcast_warns():
    psi = np.zeros((2, 2), np.complex128)
    psi[0, 0] = 1 / 3
    with pytest.warns(PrecisionWarning, match="complex128"):
        apply_gate(psi, gates.X, 0)


def test_exact_downcast_does_not_warn(recwarn):
    psi = np.zeros((2, 2), np.complex128)
    psi[0, 0] = 1
    apply_gate(psi, gates.H, 0)
    assert not [w for w in recwarn if issubclass(w.category, PrecisionWarning)]


def test_basis_state_index():
    psi = np.asarray(basis_state([1, 0, 1])).reshape(-1)
    assert psi[0b101] == 1
    assert np.sum(np.abs(psi)) == 1


@pytest.mark.parametrize("shape", [(3,), (2, 3), (), (4,)])
def test_bad_state_shape_raises(shape):
    with pytest.raises(ValueError, match=r"shape \(2,\) \* n"):
        n_qubits_of(np.zeros(shape))


def test_memory_check_names_n_and_bytes():
    with pytest.raises(ValueError, match=r"n=14 \(28 qubits\) needs about 4294967296 bytes"):
        check_memory(28, limit_bytes=2**30, label="n=14 (28 qubits)")


def test_memory_check_passes_within_limit():
    assert check_memory(10, limit_bytes=2**30) == 2 * 8 * 1024


def test_zero_state_checks_memory_before_allocating():
    with pytest.raises(ValueError, match="bytes"):
        zero_state(30, limit_bytes=2**20)


def test_available_memory_reads_meminfo(tmp_path):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 100 kB\nMemAvailable:    2048 kB\n")
    assert available_memory_bytes(meminfo) == 2048 * 1024
    assert available_memory_bytes(tmp_path / "missing") is None


def test_basis_state_rejects_non_bits():
    with pytest.raises(ValueError, match="0 or 1"):
        basis_state([0, 2])
