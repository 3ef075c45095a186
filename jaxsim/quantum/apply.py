"""Application of one-qubit, controlled and two-qubit gates to a statevector.

Each kernel reads the state once and writes it once. A one-qubit gate ``U`` on qubit ``t``
views the flat state as ``(2^t, 2, 2^(n-t-1))`` and computes

    psi'[l, 0, r] = U00 psi[l, 0, r] + U01 psi[l, 1, r]
    psi'[l, 1, r] = U10 psi[l, 0, r] + U11 psi[l, 1, r]

which XLA fuses into one elementwise loop, with no transpose of the state. A controlled gate
applies the same update only where the control bit of the basis index is 1. A general
two-qubit gate does the four-term version of this update on a ``(.., 2, .., 2, ..)`` view.

The ``*_flat`` kernels take the flat state and static qubit indices; :mod:`.circuit` calls
them inside ``lax.switch`` so that circuits with traced qubit indices compile once.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Complex, Int

from jaxsim.quantum.gates import check_unitary, is_builtin
from jaxsim.quantum.state import as_complex, as_state, check_qubits, n_qubits_of

__all__ = ["apply_gate", "apply_controlled"]


def _bit_of_index(n: int, left: int, right: int, skip: int, qubit: Int[ArrayLike, ""]) -> Array:
    """Return bit ``qubit`` of the flat basis index on a ``(left, right)`` grid.

    The grid is the state viewed as ``(left, 2, right)`` with the middle axis (qubit
    ``skip``) removed, so the flat index of grid point ``(l, r)`` with middle bit 0 is
    ``l * 2 * right + r``. ``qubit`` must differ from ``skip``; it may be traced.
    """
    shift_left = n - skip
    rows = lax.broadcasted_iota(jnp.uint32, (left, right), 0)
    cols = lax.broadcasted_iota(jnp.uint32, (left, right), 1)
    index = (rows << jnp.uint32(shift_left)) | cols
    position = (n - 1 - jnp.asarray(qubit)).astype(jnp.uint32)
    return ((index >> position) & jnp.uint32(1)).astype(bool)


def apply_one_flat(
    psi: Complex[Array, " dim"],
    u: Complex[Array, "2 2"],
    *,
    target: int,
    n: int,
    control: Int[ArrayLike, ""] | None = None,
    enabled: ArrayLike | None = None,
) -> Complex[Array, " dim"]:
    """Apply ``u`` to qubit ``target`` of the flat state ``psi`` of ``n`` qubits.

    With ``control`` (may be traced), the update applies only where that qubit is 1; with
    ``enabled`` False the control is ignored and the gate acts everywhere.
    """
    left, right = 1 << target, 1 << (n - target - 1)
    view = psi.reshape(left, 2, right)
    a0, a1 = view[:, 0, :], view[:, 1, :]
    b0 = u[0, 0] * a0 + u[0, 1] * a1
    b1 = u[1, 0] * a0 + u[1, 1] * a1
    if control is not None:
        active = _bit_of_index(n, left, right, target, control)
        if enabled is not None:
            active = active | ~jnp.asarray(enabled, bool)
        b0 = jnp.where(active, b0, a0)
        b1 = jnp.where(active, b1, a1)
    return jnp.stack([b0, b1], axis=1).reshape(-1)


def apply_two_flat(
    psi: Complex[Array, " dim"], u: Complex[Array, "4 4"], *, first: int, second: int, n: int
) -> Complex[Array, " dim"]:
    """Apply the 4x4 matrix ``u`` to qubits ``(first, second)`` of the flat state ``psi``.

    ``u`` acts on ``|q_first q_second>`` with ``q_first`` the more significant bit.
    """
    if first > second:
        # Swap the roles of the two qubits: conjugate u by SWAP, which reorders its basis.
        order = jnp.array([0, 2, 1, 3])
        u = u[order][:, order]
        first, second = second, first
    shape = (1 << first, 2, 1 << (second - first - 1), 2, 1 << (n - second - 1))
    view = psi.reshape(shape)
    parts = [view[:, j, :, k, :] for j in (0, 1) for k in (0, 1)]
    out = [sum(u[row, col] * parts[col] for col in range(4)) for row in range(4)]
    upper = jnp.stack([out[0], out[1]], axis=2)
    lower = jnp.stack([out[2], out[3]], axis=2)
    return jnp.stack([upper, lower], axis=1).reshape(-1)


def apply_two_gather(
    psi: Complex[Array, " dim"],
    u: Complex[Array, "4 4"],
    first: Int[ArrayLike, ""],
    second: Int[ArrayLike, ""],
    *,
    n: int,
) -> Complex[Array, " dim"]:
    """Apply ``u`` to traced qubits ``(first, second)`` with four gathers of the flat state.

    Slower than :func:`apply_two_flat` (gathers instead of a strided view) but compiled once
    for every pair of qubits.
    """
    index = lax.iota(jnp.uint32, 1 << n)
    mask_first = jnp.uint32(1) << (n - 1 - jnp.asarray(first)).astype(jnp.uint32)
    mask_second = jnp.uint32(1) << (n - 1 - jnp.asarray(second)).astype(jnp.uint32)
    base = index & ~(mask_first | mask_second)
    row = 2 * ((index & mask_first) != 0).astype(jnp.int32) + ((index & mask_second) != 0).astype(jnp.int32)
    out = jnp.zeros_like(psi)
    for col in range(4):
        partner = base | (mask_first if col >> 1 else 0) | (mask_second if col & 1 else 0)
        out = out + u[row, col] * psi[partner]
    return out


@functools.partial(jax.jit, static_argnames=("qubits",))
def _apply_gate(state, matrix, qubits):
    n = state.ndim
    flat = state.reshape(-1)
    if len(qubits) == 1:
        out = apply_one_flat(flat, matrix, target=qubits[0], n=n)
    else:
        out = apply_two_flat(flat, matrix, first=qubits[0], second=qubits[1], n=n)
    return out.reshape(state.shape)


@functools.partial(jax.jit, static_argnames=("control", "target"))
def _apply_controlled(state, matrix, control, target):
    n = state.ndim
    out = apply_one_flat(state.reshape(-1), matrix, target=target, n=n, control=control)
    return out.reshape(state.shape)


def apply_gate(
    state: Complex[Array, "..."], matrix: Complex[ArrayLike, "d d"], qubits: int | tuple[int, ...]
) -> Complex[Array, "..."]:
    """Apply a one- or two-qubit gate to ``state`` (shape ``(2,) * n``).

    Args:
        state: the statevector, axis ``q`` is qubit ``q``.
        matrix: ``2x2`` for one qubit, ``4x4`` for two (acting on ``|q0 q1>``, ``q0`` the more
            significant bit); must be unitary.
        qubits: one index or a pair of distinct indices in ``[0, n)``, Python integers.

    Returns:
        ``U psi`` with ``U`` acting on ``qubits``, same shape and dtype as ``state``.

    Raises:
        ValueError: for a bad state shape, bad qubit indices or a non-unitary matrix.
    """
    qubits = (qubits,) if isinstance(qubits, int) else tuple(qubits)
    n = n_qubits_of(state)
    if len(qubits) not in (1, 2):
        raise ValueError(f"apply_gate acts on one or two qubits, got qubits={qubits}.")
    qubits = check_qubits(qubits, n)
    check_unitary(matrix, len(qubits))
    state = as_state(state)
    return _apply_gate(state, as_complex(matrix, "gate matrix", warn=not is_builtin(matrix)), qubits)


def apply_controlled(
    state: Complex[Array, "..."], matrix: Complex[ArrayLike, "2 2"], control: int, target: int
) -> Complex[Array, "..."]:
    """Apply the one-qubit gate ``matrix`` to ``target`` where qubit ``control`` is 1.

    Equivalent to the 4x4 gate ``|0><0| x 1 + |1><1| x U`` on ``(control, target)``.

    Raises:
        ValueError: for a bad state shape, bad or equal qubit indices or a non-unitary matrix.
    """
    n = n_qubits_of(state)
    control, target = check_qubits((control, target), n, what="control and target qubits")
    check_unitary(matrix, 1)
    state = as_state(state)
    return _apply_controlled(state, as_complex(matrix, "gate matrix", warn=not is_builtin(matrix)), control, target)
