"""Gate matrices and a unitarity check.

Matrices follow Nielsen and Chuang (2010), Quantum Computation and Quantum Information, 10th
anniversary edition, section 4.2: ``RX(t) = exp(-i t X / 2)`` and likewise for Y and Z.
Two-qubit matrices act on ``|q0 q1>`` with ``q0`` the more significant bit, so ``CNOT``
has its control on the first qubit.

Parameterised gates are built with ``jnp`` from their angle, so ``grad`` flows through them.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float

__all__ = [
    "I",
    "X",
    "Y",
    "Z",
    "H",
    "S",
    "T",
    "CNOT",
    "CZ",
    "SWAP",
    "rx",
    "ry",
    "rz",
    "phase",
    "is_builtin",
    "unitarity_error",
    "check_unitary",
]

_SQRT_HALF = 1.0 / np.sqrt(2.0)

I = np.eye(2, dtype=np.complex128)
X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
Z = np.array([[1, 0], [0, -1]], dtype=np.complex128)
H = np.array([[1, 1], [1, -1]], dtype=np.complex128) * _SQRT_HALF
S = np.array([[1, 0], [0, 1j]], dtype=np.complex128)
T = np.array([[1, 0], [0, np.exp(1j * np.pi / 4)]], dtype=np.complex128)
CNOT = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]], dtype=np.complex128)
CZ = np.diag([1, 1, 1, -1]).astype(np.complex128)
SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=np.complex128)
_BUILTIN = (I, X, Y, Z, H, S, T, CNOT, CZ, SWAP)
for _m in _BUILTIN:
    _m.setflags(write=False)


def is_builtin(matrix) -> bool:
    """Return whether ``matrix`` is one of this module's constant gates (downcast without warning)."""
    return any(matrix is m for m in _BUILTIN)


def _complex(theta: ArrayLike) -> Array:
    theta = jnp.asarray(theta)
    dtype = jnp.complex128 if theta.dtype == jnp.float64 else jnp.complex64
    return theta.astype(dtype)


def rx(theta: Float[ArrayLike, ""]) -> Complex[Array, "2 2"]:
    """Return ``RX(theta) = [[cos(t/2), -i sin(t/2)], [-i sin(t/2), cos(t/2)]]``, theta in radians."""
    t = _complex(theta) / 2
    c, s = jnp.cos(t), jnp.sin(t)
    return jnp.stack([jnp.stack([c, -1j * s]), jnp.stack([-1j * s, c])])


def ry(theta: Float[ArrayLike, ""]) -> Complex[Array, "2 2"]:
    """Return ``RY(theta) = [[cos(t/2), -sin(t/2)], [sin(t/2), cos(t/2)]]``, theta in radians."""
    t = _complex(theta) / 2
    c, s = jnp.cos(t), jnp.sin(t)
    return jnp.stack([jnp.stack([c, -s]), jnp.stack([s, c])])


def rz(theta: Float[ArrayLike, ""]) -> Complex[Array, "2 2"]:
    """Return ``RZ(theta) = diag(exp(-i t/2), exp(i t/2))``, theta in radians."""
    t = _complex(theta) / 2
    zero = jnp.zeros_like(t)
    return jnp.stack([jnp.stack([jnp.exp(-1j * t), zero]), jnp.stack([zero, jnp.exp(1j * t)])])


def phase(theta: Float[ArrayLike, ""]) -> Complex[Array, "2 2"]:
    """Return the phase gate ``diag(1, exp(i theta))``, theta in radians."""
    t = _complex(theta)
    one, zero = jnp.ones_like(t), jnp.zeros_like(t)
    return jnp.stack([jnp.stack([one, zero]), jnp.stack([zero, jnp.exp(1j * t)])])


def unitarity_error(matrix: Complex[ArrayLike, "d d"]) -> Float[Array, ""]:
    """Return ``max |U^dagger U - 1|``, zero for an exactly unitary matrix."""
    u = jnp.asarray(matrix)
    return jnp.max(jnp.abs(u.conj().T @ u - jnp.eye(u.shape[0], dtype=u.dtype)))


def check_unitary(matrix: ArrayLike, n_qubits: int, *, atol: float | None = None) -> None:
    """Check that ``matrix`` is a ``2^k x 2^k`` unitary for ``k = n_qubits``.

    The tolerance defaults to ``1e-5`` in single precision and ``1e-10`` in double: a product of
    a few rounded entries is off by a few ulps (1.2e-7 for float32, 2.2e-16 for float64) times
    the matrix size, and user-built matrices with printed decimals are off by more.
    A traced matrix (inside ``jit`` or ``grad``) is checked only for its shape.

    Raises:
        ValueError: for a wrong shape or a matrix that is not unitary within ``atol``.
    """
    dim = 1 << n_qubits
    shape = tuple(np.shape(matrix))
    if shape != (dim, dim):
        raise ValueError(f"a {n_qubits}-qubit gate needs a {dim}x{dim} matrix, got shape {shape}.")
    if isinstance(matrix, jax.core.Tracer):
        return
    array = np.asarray(matrix)
    if atol is None:
        atol = 1e-10 if array.dtype in (np.complex128, np.float64) else 1e-5
    error = float(np.max(np.abs(array.conj().T @ array - np.eye(dim))))
    if not error <= atol:
        raise ValueError(
            f"gate matrix is not unitary: max |U^dagger U - 1| = {error:.3g} > {atol:g}; matrix =\n{array}\n"
            "pass a unitary matrix (normalise the columns, e.g. with a QR decomposition)."
        )
