"""Measurement in the computational basis: marginal probabilities and sampled outcomes.

Measuring the qubits ``Q = (q_1..q_k)`` of ``psi`` gives the bit string ``b`` with the Born
probability ``p(b) = sum over the other qubits of |psi|^2`` (Nielsen and Chuang, 2010,
Quantum Computation and Quantum Information, section 2.2.3). Outcomes are returned as
integers whose binary digits are the measured bits in the order of ``qubits``, the first
qubit most significant.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
from jaxtyping import Array, Complex, Float, Int, PRNGKeyArray

from jaxsim.quantum.state import as_state, check_qubits, n_qubits_of

__all__ = ["probabilities", "probabilities_flat", "sample", "sample_from_probabilities", "outcome_bits"]


def probabilities_flat(state: Complex[Array, "..."], qubits: tuple[int, ...]) -> Float[Array, " outcomes"]:
    """Return the ``2^k`` marginal probabilities of ``qubits`` (static, distinct) of ``state``."""
    n = state.ndim
    density = jnp.abs(state) ** 2
    others = tuple(q for q in range(n) if q not in qubits)
    marginal = jnp.sum(density, axis=others) if others else density
    # After the sum the kept axes are in increasing qubit order; put them in the requested one.
    kept = sorted(qubits)
    order = [kept.index(q) for q in qubits]
    return jnp.transpose(marginal, order).reshape(-1)


@functools.partial(jax.jit, static_argnames=("qubits",))
def _probabilities(state, qubits):
    return probabilities_flat(state, qubits)


def probabilities(state: Complex[Array, "..."], qubits: Sequence[int] | None = None) -> Float[Array, " outcomes"]:
    """Compute the probabilities of the ``2^k`` outcomes of measuring ``qubits`` (default all).

    Returns:
        ``(2^k,)`` real array summing to ``<psi|psi>``; entry ``b`` is outcome ``b``.

    Raises:
        ValueError: for a bad state shape or bad qubit indices.
    """
    n = n_qubits_of(state)
    qubits = tuple(range(n)) if qubits is None else check_qubits(tuple(qubits), n)
    return _probabilities(as_state(state), qubits)


def sample_from_probabilities(
    key: PRNGKeyArray, probs: Float[Array, " outcomes"], shots: int
) -> Int[Array, " shots"]:
    """Draw ``shots`` independent outcomes from ``probs`` (need not be normalised)."""
    logits = jnp.log(jnp.maximum(probs, 0))
    return jax.random.categorical(key, logits, shape=(shots,)).astype(jnp.uint32)


def sample(
    key: PRNGKeyArray, state: Complex[Array, "..."], qubits: Sequence[int] | None = None, *, shots: int = 1
) -> Int[Array, " shots"]:
    """Measure ``qubits`` of ``state`` ``shots`` times, each on a fresh copy of the state.

    Returns:
        ``(shots,)`` uint32 outcomes; :func:`outcome_bits` unpacks them into bits.

    Raises:
        ValueError: for ``shots < 1``, a bad state shape or bad qubit indices.
    """
    if shots < 1:
        raise ValueError(f"shots must be >= 1, got {shots}.")
    return sample_from_probabilities(key, probabilities(state, qubits), shots)


def outcome_bits(outcomes: Int[Array, "..."], k: int) -> Int[Array, "... k"]:
    """Unpack integer outcomes into ``k`` bits each, most significant first."""
    shifts = jnp.arange(k - 1, -1, -1, dtype=jnp.uint32)
    return ((jnp.asarray(outcomes, jnp.uint32)[..., None] >> shifts) & 1).astype(jnp.int32)
