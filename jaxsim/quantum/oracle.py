"""Query oracles: a classical function as a basis permutation, and Simon's oracle from gates.

The standard oracle of a function ``f: {0,1}^n -> {0,1}^m`` acts on an input register ``x``
(qubits ``0..n-1``) and an output register ``a`` (qubits ``n..n+m-1``) as

    O_f |x>|a> = |x>|a XOR f(x)>,

a permutation of basis states (Simon, 1997, "On the power of quantum computation", SIAM J.
Comput. 26, 1474). :func:`apply_oracle` applies it as one gather from a lookup table of ``f``.

Simon's promise: ``f(x) = f(y)`` if and only if ``y = x`` or ``y = x XOR s``. The function
:func:`simon_table` builds one such ``f`` for a hidden ``s``; :func:`simon_oracle_ops` builds
the canonical ``g_s(x) = x XOR (x_j s)``, with ``j`` the first set bit of ``s``, from CNOTs.
``g_s`` satisfies the promise because ``g_s(x XOR s) = x XOR s XOR ((x_j XOR 1) s) = g_s(x)``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Int, PRNGKeyArray

from jaxsim.quantum.circuit import Op, cnot
from jaxsim.quantum.state import MAX_QUBITS, as_state, n_qubits_of

__all__ = [
    "bits_to_int",
    "int_to_bits",
    "check_secret",
    "simon_table",
    "simon_oracle_ops",
    "apply_oracle",
    "apply_oracle_flat",
]


def bits_to_int(bits: Sequence[int]) -> int:
    """Return the integer whose binary digits are ``bits``, most significant first."""
    value = 0
    for b in bits:
        value = 2 * value + int(b)
    return value


def int_to_bits(value: int, n: int) -> tuple[int, ...]:
    """Return the ``n`` binary digits of ``value``, most significant first."""
    return tuple((int(value) >> (n - 1 - i)) & 1 for i in range(n))


def check_secret(s: Sequence[int] | ArrayLike, n: int) -> tuple[int, ...]:
    """Check that ``s`` is a sequence of ``n`` bits and return it as a tuple.

    Raises:
        ValueError: for the wrong length or an entry other than 0 or 1.
    """
    bits = tuple(int(b) for b in np.asarray(s).reshape(-1))
    if len(bits) != n:
        raise ValueError(f"the secret s must have n={n} bits, got {len(bits)}: {bits}; pass one bit per input qubit.")
    if any(b not in (0, 1) for b in bits):
        raise ValueError(f"the secret s must contain only 0 and 1, got {bits}.")
    return bits


def simon_table(s: Sequence[int], key: PRNGKeyArray | None = None) -> Int[Array, " 2**n"]:
    """Build the lookup table of a function with Simon's promise for the secret ``s``.

    Args:
        s: the ``n`` secret bits, most significant first; all zeros gives a one-to-one ``f``.
        key: if given, ``f = pi o g_s`` with ``pi`` a uniformly random permutation of
            ``{0,1}^n`` drawn from ``key``, so ``f`` is a random function with the promise.
            Without a key ``f = g_s``, the function that :func:`simon_oracle_ops` builds.

    Returns:
        ``f(x)`` for ``x = 0 .. 2^n - 1``, uint32.
    """
    n = len(s)
    if not 1 <= n <= MAX_QUBITS // 2:
        raise ValueError(f"Simon's problem needs 1 <= n <= {MAX_QUBITS // 2} bits, got n={n}.")
    s = check_secret(s, n)
    s_int = bits_to_int(s)
    x = jnp.arange(1 << n, dtype=jnp.uint32)
    if s_int:
        j = s.index(1)
        x_j = (x >> (n - 1 - j)) & 1
        table = x ^ (x_j * jnp.uint32(s_int))
    else:
        table = x
    if key is not None:
        relabel = jax.random.permutation(key, 1 << n).astype(jnp.uint32)
        table = relabel[table]
    return table


def simon_oracle_ops(s: Sequence[int]) -> list[Op]:
    """Return the CNOTs of Simon's oracle ``|x>|a> -> |x>|a XOR g_s(x)>`` on ``2n`` qubits.

    ``n`` CNOTs copy ``x_i`` into ``a_i``; then, with ``j`` the first set bit of ``s``, one
    CNOT controlled by ``x_j`` flips ``a_k`` for every ``k`` with ``s_k = 1``. Qubits
    ``0..n-1`` hold ``x`` and ``n..2n-1`` hold ``a``.
    """
    n = len(s)
    s = check_secret(s, n)
    ops = [cnot(i, n + i) for i in range(n)]
    if any(s):
        j = s.index(1)
        ops += [cnot(j, n + k) for k in range(n) if s[k]]
    return ops


def apply_oracle_flat(psi: Complex[Array, " dim"], table: Int[Array, " inputs"], n_out: int) -> Complex[Array, " dim"]:
    """Apply ``|x>|a> -> |x>|a XOR table[x]>`` to a flat state as one gather."""
    n_inputs = table.shape[0]
    view = psi.reshape(n_inputs, 1 << n_out)
    outputs = jax.lax.broadcasted_iota(jnp.uint32, view.shape, 1)
    source = outputs ^ table.astype(jnp.uint32)[:, None]
    return jnp.take_along_axis(view, source.astype(jnp.int32), axis=1, mode="promise_in_bounds").reshape(-1)


@functools.partial(jax.jit, static_argnames=("n_out",), donate_argnums=0)
def _apply_oracle_donated(state, table, n_out):
    return apply_oracle_flat(state.reshape(-1), table, n_out).reshape(state.shape)


def apply_oracle(state: Complex[Array, "..."], table: Int[ArrayLike, " inputs"], n_in: int) -> Complex[Array, "..."]:
    """Apply the oracle ``|x>|a> -> |x>|a XOR f(x)>`` of the lookup table ``f = table``.

    The state's first ``n_in`` qubits are ``x`` and the rest are ``a``. The input buffer is
    donated.

    Args:
        state: shape ``(2,) * (n_in + n_out)``.
        table: ``(2^n_in,)`` integers, each in ``[0, 2^n_out)``.
        n_in: size of the input register.

    Raises:
        ValueError: for a bad state shape, a table of the wrong length or out-of-range values.
    """
    n = n_qubits_of(state)
    if not 1 <= n_in < n:
        raise ValueError(f"n_in must be in [1, {n - 1}] for a {n}-qubit state, got {n_in}.")
    n_out = n - n_in
    table_np = np.asarray(table)
    if table_np.shape != (1 << n_in,):
        raise ValueError(f"the table of f needs 2**n_in = {1 << n_in} entries, got shape {table_np.shape}.")
    if table_np.min() < 0 or table_np.max() >= (1 << n_out):
        raise ValueError(
            f"table values must lie in [0, {1 << n_out}) for a {n_out}-qubit output register, "
            f"got min {table_np.min()} and max {table_np.max()}."
        )
    state = as_state(state)
    table = jnp.asarray(table_np.astype(np.uint32))
    if isinstance(state, jax.core.Tracer):
        return apply_oracle_flat(state.reshape(-1), table, n_out).reshape(state.shape)
    return _apply_oracle_donated(state, table, n_out)
