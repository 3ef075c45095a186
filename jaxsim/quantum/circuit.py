"""Circuits as data, run by one ``lax.scan`` over their layers.

A :class:`Circuit` stores one gate per layer in stacked arrays: a 4x4 matrix (a one-qubit
gate sits in the top-left 2x2 block), its kind, a target qubit and a second qubit (the
control of a controlled gate, the other qubit of a two-qubit gate). Because qubit indices are
array data, ``run_circuit`` traces a single scan body whatever the circuit depth: compile
time grows with the number of qubits (one ``lax.switch`` branch per target qubit) but not
with the number of gates, and changing a gate's angle or qubits never recompiles.

Kinds and their cost per gate (one read and one write of the state unless stated):

- ``ONE``: a 2x2 unitary on ``target``.
- ``CONTROLLED``: a 2x2 unitary on ``target`` where qubit ``second`` is 1.
- ``TWO``: a 4x4 unitary on ``(target, second)``; applied with four gathers, so it is several
  times slower than the other kinds. Prefer a controlled gate where one fits.

``run_circuit`` donates its input state, so the peak memory of a run is about two state
buffers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jaxtyping import Array, ArrayLike, Complex, Int

from jaxsim.quantum import gates
from jaxsim.quantum.apply import apply_one_flat, apply_two_gather
from jaxsim.quantum.state import MAX_QUBITS, as_complex, as_state, check_qubits, complex_dtype, n_qubits_of

__all__ = [
    "ONE",
    "CONTROLLED",
    "TWO",
    "Op",
    "Circuit",
    "one_qubit",
    "controlled",
    "two_qubit",
    "hadamard",
    "pauli_x",
    "cnot",
    "run_circuit",
]

ONE, CONTROLLED, TWO = 0, 1, 2


@dataclass(frozen=True)
class Op:
    """One gate before stacking: its kind, qubits and matrix (2x2 or 4x4, may be traced)."""

    kind: int
    qubits: tuple[int, ...]
    matrix: ArrayLike


def one_qubit(matrix: Complex[ArrayLike, "2 2"], qubit: int) -> Op:
    """Return the op applying the 2x2 unitary ``matrix`` to ``qubit``."""
    return Op(ONE, (qubit,), matrix)


def controlled(matrix: Complex[ArrayLike, "2 2"], control: int, target: int) -> Op:
    """Return the op applying ``matrix`` to ``target`` where ``control`` is 1."""
    return Op(CONTROLLED, (target, control), matrix)


def two_qubit(matrix: Complex[ArrayLike, "4 4"], first: int, second: int) -> Op:
    """Return the op applying the 4x4 unitary ``matrix`` to ``|q_first q_second>``."""
    return Op(TWO, (first, second), matrix)


def hadamard(qubit: int) -> Op:
    """Return a Hadamard gate on ``qubit``."""
    return one_qubit(gates.H, qubit)


def pauli_x(qubit: int) -> Op:
    """Return a NOT (Pauli X) gate on ``qubit``."""
    return one_qubit(gates.X, qubit)


def cnot(control: int, target: int) -> Op:
    """Return a CNOT gate."""
    return controlled(gates.X, control, target)


class Circuit(eqx.Module):
    """A gate sequence stored as stacked arrays, one gate per layer.

    Attributes:
        matrices: ``(layers, 4, 4)`` complex gate matrices; one-qubit gates in ``[:2, :2]``.
        kinds: ``(layers,)`` int32, one of ``ONE``, ``CONTROLLED``, ``TWO``.
        targets: ``(layers,)`` int32 target qubit (the first qubit of a two-qubit gate).
        seconds: ``(layers,)`` int32 control or second qubit; ``-1`` for one-qubit gates.
        n_qubits: register size (static).
    """

    matrices: Complex[Array, "layers 4 4"]
    kinds: Int[Array, " layers"]
    targets: Int[Array, " layers"]
    seconds: Int[Array, " layers"]
    n_qubits: int = eqx.field(static=True)

    @property
    def depth(self) -> int:
        """Number of gates."""
        return int(self.kinds.shape[0])

    @classmethod
    def from_ops(cls, n_qubits: int, ops: Sequence[Op]) -> Circuit:
        """Stack ``ops`` into a circuit on ``n_qubits`` qubits.

        Raises:
            ValueError: for an empty circuit, out-of-range or repeated qubits, or a matrix of
                the wrong shape or not unitary (checked for concrete matrices).
        """
        if not 1 <= n_qubits <= MAX_QUBITS:
            raise ValueError(f"n_qubits must be in [1, {MAX_QUBITS}], got {n_qubits}.")
        if not ops:
            raise ValueError("a circuit needs at least one op; add an identity gate for a no-op.")
        matrices, kinds, targets, seconds = [], [], [], []
        dtype = complex_dtype()
        for position, op in enumerate(ops):
            what = f"op {position} qubits"
            qubits = check_qubits(op.qubits, n_qubits, what=what)
            size = 2 if op.kind == TWO else 1
            if len(qubits) != (1 if op.kind == ONE else 2):
                raise ValueError(f"op {position} of kind {op.kind} has qubits {qubits} of the wrong count.")
            gates.check_unitary(op.matrix, size)
            matrix = as_complex(op.matrix, f"op {position} matrix", warn=not gates.is_builtin(op.matrix))
            padded = jnp.zeros((4, 4), dtype).at[: 2 * size, : 2 * size].set(matrix)
            matrices.append(padded)
            kinds.append(op.kind)
            targets.append(qubits[0])
            seconds.append(qubits[1] if len(qubits) == 2 else -1)
        return cls(
            matrices=jnp.stack(matrices),
            kinds=jnp.asarray(kinds, jnp.int32),
            targets=jnp.asarray(targets, jnp.int32),
            seconds=jnp.asarray(seconds, jnp.int32),
            n_qubits=n_qubits,
        )

    def __add__(self, other: Circuit) -> Circuit:
        if not isinstance(other, Circuit) or other.n_qubits != self.n_qubits:
            raise ValueError("only circuits on the same number of qubits can be concatenated.")
        return Circuit(
            jnp.concatenate([self.matrices, other.matrices]),
            jnp.concatenate([self.kinds, other.kinds]),
            jnp.concatenate([self.targets, other.targets]),
            jnp.concatenate([self.seconds, other.seconds]),
            self.n_qubits,
        )

    def unitary(self) -> np.ndarray:
        """Return the circuit's ``2^n x 2^n`` matrix by running it on every basis state (small n)."""
        if self.n_qubits > 12:
            raise ValueError(f"unitary() builds a dense matrix; n_qubits={self.n_qubits} is too large (max 12).")
        dim = 1 << self.n_qubits
        columns = jax.vmap(lambda psi: _run(psi, self))(jnp.eye(dim, dtype=complex_dtype()))
        return np.asarray(columns).reshape(dim, dim).T


def _one_branch(psi, matrix, kind, target, second, *, static_target: int, n: int):
    # ``target`` equals ``static_target`` in this branch; the static copy fixes the view shape.
    del target
    return apply_one_flat(
        psi, matrix[:2, :2], target=static_target, n=n, control=jnp.maximum(second, 0), enabled=kind == CONTROLLED
    )


def _two_branch(psi, matrix, kind, target, second, *, n: int):
    del kind
    return apply_two_gather(psi, matrix, target, second, n=n)


def _layer_step(n: int, psi: Array, layer: tuple[Array, Array, Array, Array]) -> tuple[Array, None]:
    matrix, kind, target, second = layer
    branches = [functools.partial(_one_branch, static_target=t, n=n) for t in range(n)]
    branches.append(functools.partial(_two_branch, n=n))
    index = jnp.where(kind == TWO, n, target)
    psi = lax.switch(index, branches, psi, matrix, kind, target, second)
    return psi, None


def _run(psi: Array, circuit: Circuit) -> Array:
    n = circuit.n_qubits
    flat = psi.reshape(-1)
    layers = (circuit.matrices.astype(psi.dtype), circuit.kinds, circuit.targets, circuit.seconds)
    flat, _ = lax.scan(functools.partial(_layer_step, n), flat, layers)
    return flat.reshape((2,) * n)


_run_donated = jax.jit(_run, donate_argnums=0)


def run_circuit(state: Complex[Array, "..."], circuit: Circuit) -> Complex[Array, "..."]:
    """Apply every gate of ``circuit`` to ``state``, in order, inside one jitted scan.

    The input buffer is donated: after the call ``state`` may be deleted, which keeps the peak
    near two state buffers. Pass ``state.copy()`` to keep it. Under ``grad``, reverse mode
    stores one state per layer, so differentiate only circuits that fit ``depth + 2`` states.

    Args:
        state: shape ``(2,) * n`` with ``n = circuit.n_qubits``.
        circuit: the gates to apply.

    Returns:
        The final state, shape ``(2,) * n``, in the dtype of ``state``.

    Raises:
        ValueError: for a state whose shape does not match the circuit.
    """
    n = n_qubits_of(state)
    if n != circuit.n_qubits:
        raise ValueError(f"state has {n} qubits but the circuit acts on {circuit.n_qubits}; build one for {n}.")
    state = as_state(state)
    if isinstance(state, jax.core.Tracer):
        return _run(state, circuit)
    return _run_donated(state, circuit)
