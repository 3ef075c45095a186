"""Simon's algorithm end to end: circuit, measurement statistics and recovery of ``s``.

Simon (1997), "On the power of quantum computation", SIAM J. Comput. 26, 1474 (conference
version 1994). Given an oracle for ``f: {0,1}^n -> {0,1}^n`` with ``f(x) = f(y)`` iff
``y in {x, x XOR s}``, one run of the circuit

    |0^n>|0^n>  --H^n on x-->  --O_f-->  --H^n on x-->  measure x

returns a ``z`` uniform over ``{z : z . s = 0 mod 2}``: for ``s != 0`` the amplitude of
``|z>|f(x)>`` is ``2^(-n) ((-1)^(z.x) + (-1)^(z.(x XOR s)))``, which vanishes unless
``z . s = 0``. After runs whose ``z`` span an ``(n-1)``-dimensional space, ``s`` is the one
nonzero vector orthogonal to all of them (:mod:`.gf2`). Two classical queries, ``f(0)`` and
``f(s')``, then tell a true period ``s' = s`` from a one-to-one ``f`` (``s = 0``), whose
``z`` are uniform over all of ``{0,1}^n``.

Number of runs. For ``s != 0`` the ``z`` are uniform over an ``(n-1)``-dimensional space
``V``. ``m`` uniform vectors span ``V`` with probability

    P(n, m) = prod_{i=0}^{n-2} (1 - 2^(i-m))   for m >= n - 1, else 0,

because an ``(n-1) x m`` uniform matrix over GF(2) has full row rank iff each row avoids the
span of the rows before it, and row ``i + 1`` lies in the ``2^i``-element span of ``i``
independent rows with probability ``2^i / 2^m``. A union bound gives ``1 - P(n, m) <
2^(n-1-m)``, so ``m = n - 1 + log2(1 / delta)`` runs fail with probability below ``delta``.

The simulation prepares the state once and draws every run's ``z`` from its exact
measurement distribution, which gives the same statistics as re-running the circuit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Complex, Float, Int, PRNGKeyArray

from jaxsim.quantum.circuit import Circuit, hadamard
from jaxsim.quantum.gf2 import echelon_ranks, null_vector
from jaxsim.quantum.measure import sample_from_probabilities
from jaxsim.quantum.oracle import check_secret, simon_oracle_ops
from jaxsim.quantum.state import MAX_QUBITS, check_memory, complex_dtype
from jaxsim.quantum.walsh import walsh_hadamard_flat

__all__ = [
    "FOUND",
    "ONE_TO_ONE",
    "NEED_MORE_RUNS",
    "SimonResult",
    "simon_circuit",
    "simon_state",
    "simon_probabilities",
    "solve_simon",
    "run_simon",
    "runs_needed",
    "success_probability",
    "runs_for_failure_probability",
]

FOUND, ONE_TO_ONE, NEED_MORE_RUNS = 0, 1, 2
"""Status codes of :class:`SimonResult`."""

STATE_BUFFERS = 1.25
"""Peak memory of :func:`simon_state` in state buffers, an estimate: the output buffer, which
the column blocks are written into in place, plus workspace."""

BLOCK_AMPLITUDES = 1 << 20
"""Amplitudes per column block of the final Hadamard layer (4 MiB in float32). A block stays
in the L3 cache through all ``n`` butterfly stages. On a 2-core AMD EPYC this size ran fastest
at n = 12 to 14 among 2^16 to 2^21 (n = 14: 0.30 s, against 0.37 s at 2^18 and 0.81 s at 2^16).

NOTE: at n = 13 the run time varies between processes from 0.07 to 0.24 s on that machine,
for a reason not found; the power-of-two row stride of a block is one suspect."""


class SimonResult(eqx.Module):
    """Outcome of Simon's algorithm on one instance.

    Attributes:
        s: the recovered secret, bit-packed (0 when ``f`` is one-to-one).
        status: ``FOUND`` (s != 0 recovered), ``ONE_TO_ONE`` (s = 0) or ``NEED_MORE_RUNS``.
        runs: quantum circuit runs (oracle queries) used.
        queries: total oracle queries, ``runs`` plus the two classical checks.
    """

    s: Int[Array, ""]
    status: Int[Array, ""]
    runs: Int[Array, ""]
    queries: Int[Array, ""]


def _check_n(n: int) -> None:
    if not 1 <= n <= MAX_QUBITS // 2:
        raise ValueError(f"Simon's problem is simulated for 1 <= n <= {MAX_QUBITS // 2} bits, got n={n}.")


def _label(n: int) -> str:
    return f"Simon's algorithm with n={n} ({2 * n} qubits)"


def _check_table(table: ArrayLike, n: int) -> Array:
    shape = tuple(np.shape(table))
    if shape != (1 << n,):
        raise ValueError(f"the table of f needs 2**n = {1 << n} entries for n={n}, got shape {shape}.")
    return jnp.asarray(table, jnp.uint32)


def simon_circuit(s: Sequence[int]) -> Circuit:
    """Build Simon's circuit for ``g_s`` gate by gate on ``2n`` qubits (x first, then a).

    ``n`` Hadamards, the CNOT oracle of :func:`~jaxsim.quantum.oracle.simon_oracle_ops`,
    ``n`` Hadamards.
    """
    n = len(s)
    s = check_secret(s, n)
    layer = [hadamard(q) for q in range(n)]
    return Circuit.from_ops(2 * n, layer + simon_oracle_ops(s) + layer)


def _block_width(n: int) -> int:
    """Return the number of output-register columns per block: a power of two in [1, 2^n]."""
    return max(1, min(1 << n, BLOCK_AMPLITUDES >> n))


def _final_columns(amplitude: Array, table: Array, n: int, start: Array, width: int) -> Array:
    """Return the columns ``a = start .. start + width - 1`` of the final state ``psi[x, a]``.

    The first Hadamard layer acts on ``|0^n>`` and gives the uniform superposition
    ``2^(-n/2) sum_x |x>``; the oracle then maps ``|x>|0>`` to ``|x>|f(x)>``. So after the
    oracle ``psi[x, a] = 2^(-n/2) [a = f(x)]``, which each block builds from the table. The
    last Hadamard layer acts on ``x`` alone, the row index, so every column transforms on its
    own: the block runs all ``n`` butterfly stages while it sits in cache.
    """
    rows = 1 << n
    columns = start + jax.lax.broadcasted_iota(jnp.uint32, (rows, width), 1)
    block = jnp.where(columns == table[:, None], amplitude, jnp.zeros((), amplitude.dtype))
    qubits = n + width.bit_length() - 1
    return walsh_hadamard_flat(block.reshape(-1), tuple(range(n)), qubits).reshape(rows, width)


def _amplitude(one: Array, n: int) -> Array:
    # Every gate of Simon's circuit has a real matrix and the initial state is real, so the
    # blocks are computed in the real dtype of ``one``'s precision.
    # ``one`` arrives as an argument because XLA would spend seconds constant-folding
    # transforms of amplitudes built from constants alone.
    return jnp.real(one) * (2.0 ** (-n / 2))


@functools.partial(jax.jit, static_argnames="n")
def _simon_state(one, table, n):
    rows, width = 1 << n, _block_width(n)
    amplitude = _amplitude(one, n)

    def write_block(j, psi):
        start = (j * width).astype(jnp.uint32)
        block = _final_columns(amplitude, table, n, start, width).astype(one.dtype)
        return jax.lax.dynamic_update_slice(psi, block, (jnp.int32(0), (j * width).astype(jnp.int32)))

    psi = jax.lax.fori_loop(0, rows // width, write_block, jnp.zeros((rows, rows), one.dtype))
    return psi.reshape((2,) * (2 * n))


@functools.partial(jax.jit, static_argnames="n")
def _simon_probabilities(one, table, n):
    rows, width = 1 << n, _block_width(n)
    amplitude = _amplitude(one, n)

    def add_block(j, probs):
        block = _final_columns(amplitude, table, n, (j * width).astype(jnp.uint32), width)
        return probs + jnp.sum(block * block, axis=1)

    return jax.lax.fori_loop(0, rows // width, add_block, jnp.zeros(rows, amplitude.dtype))


def _one() -> Array:
    return jnp.ones((), complex_dtype())


def simon_state(table: Int[ArrayLike, " 2**n"], n: int, *, limit_bytes: int | None = None) -> Complex[Array, "..."]:
    """Run Simon's circuit with the oracle of ``table`` and return the final state.

    The state after the oracle is written down from the table (the first Hadamard layer acts
    on ``|0^n>``), and the last Hadamard layer runs as a fast Walsh-Hadamard transform over
    blocks of output-register columns, each of which stays in cache. The peak is about one
    state buffer (2 GiB at n = 14 in complex64).

    Returns:
        Shape ``(2,) * 2n``; qubits ``0..n-1`` are ``x``, ``n..2n-1`` are ``a``.

    Raises:
        ValueError: for a bad ``n`` or table, or when the state does not fit in memory
            (``limit_bytes``, default ``MemAvailable``); raised before allocating.
    """
    _check_n(n)
    check_memory(2 * n, n_buffers=STATE_BUFFERS, limit_bytes=limit_bytes, label=_label(n))
    return _simon_state(_one(), _check_table(table, n), n)


def simon_probabilities(table: Int[ArrayLike, " 2**n"], n: int, *, limit_bytes: int | None = None) -> Float[Array, " 2**n"]:
    """Return the distribution of the measured ``z`` over ``{0,1}^n`` for the oracle ``table``.

    ``P(z) = sum_a |psi[z, a]|^2``. Every amplitude of the final state is computed, one block of
    output-register columns at a time, and each block is reduced while it is in cache, so the
    state is never held whole: memory is the table plus a few blocks of
    :data:`BLOCK_AMPLITUDES` amplitudes.

    Raises:
        ValueError: for a bad ``n`` or table, or when the blocks do not fit in ``limit_bytes``
            (default ``MemAvailable``); raised before allocating.
    """
    _check_n(n)
    width = _block_width(n)
    check_memory(n + width.bit_length() - 1, n_buffers=4, limit_bytes=limit_bytes, label=_label(n))
    return _simon_probabilities(_one(), _check_table(table, n), n)


def solve_simon(zs: Int[Array, " runs"], table: Int[Array, " 2**n"], n: int) -> SimonResult:
    """Recover ``s`` from measured ``zs`` with as few of them as possible; jittable.

    Uses the first ``m`` outcomes, for the smallest ``m`` at which their rank reaches
    ``n - 1``. At rank ``n`` (only possible for ``s = 0``) ``f`` is one-to-one. At rank
    ``n - 1`` the candidate ``s'`` is checked with the classical queries ``f(0)`` and ``f(s')``.
    Equal values confirm ``s = s'``. Different values prove ``f`` one-to-one, because for a
    nonzero ``s`` all ``z`` lie in the space orthogonal to ``s``, and rank ``n - 1`` pins ``s``.
    """
    bases, ranks = echelon_ranks(zs, n)
    reached = ranks >= n - 1
    enough = jnp.any(reached)
    first = jnp.argmax(reached)
    basis = bases[first]
    candidate = null_vector(basis, n)
    confirmed = (ranks[first] == n - 1) & (table[0] == table[candidate])
    status = jnp.where(~enough, NEED_MORE_RUNS, jnp.where(confirmed, FOUND, ONE_TO_ONE))
    s = jnp.where(status == FOUND, candidate, jnp.uint32(0))
    runs = jnp.where(enough, first + 1, zs.shape[0]).astype(jnp.int32)
    queries = runs + jnp.where(enough, 2, 0).astype(jnp.int32)
    return SimonResult(s=s, status=status.astype(jnp.int32), runs=runs, queries=queries)


_solve_simon_jit = jax.jit(solve_simon, static_argnames="n")


def runs_needed(zs: Int[Array, " runs"], n: int) -> Int[Array, ""]:
    """Return the number of outcomes needed to reach rank ``n - 1``, or ``runs + 1`` if never."""
    _, ranks = echelon_ranks(zs, n)
    reached = ranks >= n - 1
    return jnp.where(jnp.any(reached), jnp.argmax(reached) + 1, zs.shape[0] + 1).astype(jnp.int32)


def run_simon(
    key: PRNGKeyArray,
    table: Int[ArrayLike, " 2**n"],
    n: int,
    *,
    max_runs: int | None = None,
    limit_bytes: int | None = None,
) -> SimonResult:
    """Run Simon's algorithm on the oracle ``table``: simulate, measure ``max_runs`` times, solve.

    Args:
        key: PRNG key for the measurement outcomes.
        table: ``f(x)`` for ``x = 0 .. 2^n - 1``.
        n: number of input bits.
        max_runs: runs drawn; default ``n + 20``, so a failure has probability below ``2^-21``.
        limit_bytes: memory budget for the state; default ``MemAvailable``.

    Raises:
        ValueError: for a bad ``n``, table or ``max_runs``, or too little memory.
    """
    max_runs = n + 20 if max_runs is None else int(max_runs)
    if max_runs < 1:
        raise ValueError(f"max_runs must be >= 1, got {max_runs}; Simon's algorithm needs at least n - 1 runs.")
    probs = simon_probabilities(table, n, limit_bytes=limit_bytes)
    zs = sample_from_probabilities(key, probs, max_runs)
    return _solve_simon_jit(zs, _check_table(table, n), n)


def success_probability(n: Float[ArrayLike, "..."], m: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Return ``P(n, m) = prod_{i=0}^{n-2} (1 - 2^(i-m))``: ``m`` runs give rank ``n - 1`` (s != 0).

    ``n`` and ``m`` are integers (arrays broadcast); the result is 0 for ``m < n - 1``.
    """
    n = jnp.asarray(n)
    m = jnp.asarray(m)
    i = jnp.arange(MAX_QUBITS)
    n_b, m_b = jnp.broadcast_arrays(n, m)
    terms = 1.0 - jnp.exp2((i - m_b[..., None]).astype(jnp.result_type(float)))
    terms = jnp.where(i < n_b[..., None] - 1, terms, 1.0)
    return jnp.where(m_b >= n_b - 1, jnp.prod(terms, axis=-1), 0.0)


def runs_for_failure_probability(n: Float[ArrayLike, ""], delta: Float[ArrayLike, ""]) -> Float[Array, ""]:
    """Return ``n - 1 + log2(1 / delta)``, enough runs to fail with probability below ``delta``.

    Smooth in ``n`` and ``delta`` (treated as reals) for the energy accounting.
    """
    return jnp.asarray(n) - 1 + jnp.log2(1 / jnp.asarray(delta))


