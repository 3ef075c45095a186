"""Energy of Simon's problem in the query model: a quantum upper bound, a classical lower bound.

The framework follows Meier and Yamasaki (2023), "Energy-consumption advantage of quantum
computation", arXiv:2305.11212 (PRX Energy, 2025): bound the energy of a query algorithm by
counting its queries, gates and initialised or erased bits, with Landauer's principle for the
erasures. The cost model below is a simplified version written for this package; each
assumption is listed where it is used. Energies are in joules, temperatures in kelvin.

Landauer's principle (Landauer, 1961, "Irreversibility and heat generation in the computing
process", IBM J. Res. Dev. 5, 183): erasing one bit in contact with a bath at temperature
``T`` dissipates at least ``k_B T ln 2``. Bennett (1982), "The thermodynamics of computation
- a review", Int. J. Theor. Phys. 21, 905, shows that logically reversible steps need no
erasure, so only the erasures that a bounded memory forces count in a lower bound.

Quantum upper bound (achievable, per success probability ``p``):

    m(n) = n - 1 + log2(1 / (1 - p))                        runs (union bound, see .simon)
    E_Q(n) = m [2n e_reset + 2n e_gate + e_query + n (e_meas + e_erase(T_env))]
             + 2 e_query + m n^2 e_bitop

- ``e_reset``: resetting a qubit at ``T_q`` is an erasure with finite precision, assumed to
  cost ``(1 + overhead) k_B T_q ln 2`` of heat at ``T_q``. Perfect erasure in finite time is
  impossible. Meier and Yamasaki construct a finite-step protocol whose cost exceeds
  ``k_B T ln 2`` by an amount that shrinks with the number of steps, and ``overhead`` stands
  for that excess. A refrigerator working at a fraction ``eta`` of the Carnot efficiency pumps
  that heat to ``T_env`` with work ``Q (T_env - T_q) / (eta T_q)``.
- ``e_gate``: energy per Hadamard (2n per run), ``e_query``: per oracle call, ``e_meas``: per
  measured qubit. These are hardware parameters, not derived.
- The ``n`` measured bits of each run are erased after use at ``T_env`` with the same
  overhead. Gaussian elimination takes at most ``m n^2`` bit operations of ``e_bitop`` each,
  and the final check queries ``f(0)`` and ``f(s')``.

Classical lower bound (any algorithm with success probability ``p``):

    E_C(n) >= (q_min(n, p) - 1) n k_B T_env ln 2

with ``q_min`` from :func:`~jaxsim.quantum.classical.query_lower_bound`. Assumption: the
classical computer has a memory polynomial in ``n``, so over exponentially many queries it
must reset its ``n``-bit query register before each query after the first, erasing at least
``n`` bits each time. A machine with ``q n`` bits of memory could avoid this (Bennett, 1982);
the bound then does not apply. Gates, oracle and readout energies are left out (set to 0), so
the bound favours the classical computer.

Crossover: ``E_C`` grows as ``2^(n/2)`` and ``E_Q`` as a polynomial, so ``ln E_C - ln E_Q`` is
increasing for large ``n``; :func:`crossover_n` finds its root with ``n`` treated as real.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from jaxtyping import Array, ArrayLike, Float

from jaxsim.core.constants import K_B
from jaxsim.quantum.classical import log_query_lower_bound

__all__ = [
    "Hardware",
    "landauer_energy",
    "erasure_energy",
    "qubit_reset_energy",
    "quantum_runs",
    "quantum_energy_upper",
    "classical_energy_lower",
    "log_energy_ratio",
    "crossover_n",
]


class Hardware(eqx.Module):
    """Hardware parameters of the energy accounting; every field is differentiable.

    The defaults are illustrative orders of magnitude for a superconducting-qubit machine
    with room-temperature control electronics (about a milliwatt for tens of nanoseconds per
    gate). They are assumptions, not measurements: replace them with your platform's figures.

    Attributes:
        environment_temperature_k: temperature of the room and of the classical computer, K.
        qubit_temperature_k: temperature of the qubits' bath, K.
        refrigerator_efficiency: fraction of the Carnot efficiency reached by the cooling, in (0, 1].
        erasure_overhead: excess of a finite-precision erasure over ``k_B T ln 2``, relative.
        gate_energy_j: energy per one-qubit gate, J.
        query_energy_j: energy per oracle query, quantum or classical check, J.
        measurement_energy_j: energy per measured qubit, J.
        bit_operation_energy_j: energy per classical bit operation in post-processing, J.
        success_probability: success probability both algorithms must reach, in (0, 1).
    """

    environment_temperature_k: Float[ArrayLike, ""] = 300.0
    qubit_temperature_k: Float[ArrayLike, ""] = 0.02
    refrigerator_efficiency: Float[ArrayLike, ""] = 0.1
    erasure_overhead: Float[ArrayLike, ""] = 1.0
    gate_energy_j: Float[ArrayLike, ""] = 1e-11
    query_energy_j: Float[ArrayLike, ""] = 1e-10
    measurement_energy_j: Float[ArrayLike, ""] = 1e-11
    bit_operation_energy_j: Float[ArrayLike, ""] = 1e-15
    success_probability: Float[ArrayLike, ""] = 0.99

    def check(self) -> Hardware:
        """Check concrete field values and return ``self``.

        Raises:
            ValueError: naming the first field outside its range.
        """
        positive = ("environment_temperature_k", "qubit_temperature_k", "refrigerator_efficiency")
        non_negative = ("erasure_overhead", "gate_energy_j", "query_energy_j", "measurement_energy_j",
                        "bit_operation_energy_j")
        for name in positive + non_negative:
            value = getattr(self, name)
            if isinstance(value, jax.core.Tracer):
                continue
            if name in positive and not float(value) > 0:
                raise ValueError(f"Hardware.{name} must be > 0, got {value}.")
            if name in non_negative and not float(value) >= 0:
                raise ValueError(f"Hardware.{name} must be >= 0, got {value}.")
        for name, upper_open in (("refrigerator_efficiency", False), ("success_probability", True)):
            value = getattr(self, name)
            if isinstance(value, jax.core.Tracer):
                continue
            inside = 0 < float(value) < 1 if upper_open else 0 < float(value) <= 1
            if not inside:
                raise ValueError(f"Hardware.{name} must be in (0, 1{')' if upper_open else ']'}, got {value}.")
        return self


def landauer_energy(temperature_k: Float[ArrayLike, "..."]) -> Float[Array, "..."]:
    """Return ``k_B T ln 2``, the least heat of erasing one bit at ``T`` (Landauer, 1961), J."""
    return K_B.value * jnp.asarray(temperature_k) * jnp.log(2.0)


def erasure_energy(temperature_k: Float[ArrayLike, "..."], overhead: Float[ArrayLike, ""]) -> Float[Array, "..."]:
    """Return ``(1 + overhead) k_B T ln 2``, the assumed cost of a finite-precision erasure, J."""
    return (1 + jnp.asarray(overhead)) * landauer_energy(temperature_k)


def qubit_reset_energy(hw: Hardware) -> Float[Array, ""]:
    """Return the energy drawn to reset one qubit: erasure heat at ``T_q`` plus the pumping work.

    ``Q = (1 + overhead) k_B T_q ln 2`` and ``W = Q (T_env - T_q) / (eta T_q)``; returns ``Q + W``.
    """
    heat = erasure_energy(hw.qubit_temperature_k, hw.erasure_overhead)
    lift = (hw.environment_temperature_k - hw.qubit_temperature_k) / (hw.refrigerator_efficiency * hw.qubit_temperature_k)
    return heat * (1 + lift)


def quantum_runs(n: Float[ArrayLike, "..."], hw: Hardware) -> Float[Array, "..."]:
    """Return ``m(n) = n - 1 + log2(1 / (1 - p))``, runs that reach success probability ``p``."""
    return jnp.asarray(n) - 1 - jnp.log2(1 - jnp.asarray(hw.success_probability))


def quantum_energy_upper(n: Float[ArrayLike, "..."], hw: Hardware) -> Float[Array, "..."]:
    """Return the achievable energy ``E_Q(n)`` of Simon's algorithm, J (formula in the module doc)."""
    n = jnp.asarray(n)
    m = quantum_runs(n, hw)
    record_erasure = erasure_energy(hw.environment_temperature_k, hw.erasure_overhead)
    per_run = (
        2 * n * qubit_reset_energy(hw)
        + 2 * n * hw.gate_energy_j
        + hw.query_energy_j
        + n * (hw.measurement_energy_j + record_erasure)
    )
    return m * per_run + 2 * hw.query_energy_j + m * n**2 * hw.bit_operation_energy_j


def classical_energy_lower(n: Float[ArrayLike, "..."], hw: Hardware) -> Float[Array, "..."]:
    """Return the lower bound ``E_C(n) = (q_min - 1) n k_B T_env ln 2`` for any classical algorithm, J."""
    return jnp.exp(_log_classical(jnp.asarray(n), hw))


def _log_classical(n: Array, hw: Hardware) -> Array:
    log_q = log_query_lower_bound(n, hw.success_probability)
    # ln(q - 1) from ln q without forming q, which overflows float32 beyond n ~ 250.
    log_q_minus_one = log_q + jnp.log1p(-jnp.exp(-log_q))
    return log_q_minus_one + jnp.log(n) + jnp.log(landauer_energy(hw.environment_temperature_k))


def log_energy_ratio(n: Float[ArrayLike, "..."], hw: Hardware) -> Float[Array, "..."]:
    """Return ``ln E_C(n) - ln E_Q(n)``: positive where quantum uses less energy."""
    n = jnp.asarray(n)
    return _log_classical(n, hw) - jnp.log(quantum_energy_upper(n, hw))


@functools.partial(jax.jit, static_argnames=("lower", "upper", "iterations"))
def crossover_n(hw: Hardware, *, lower: float = 2.0, upper: float = 4096.0, iterations: int = 80) -> Float[Array, ""]:
    """Return the ``n`` (real) above which the quantum upper bound is below the classical bound.

    Bisection on ``g(n) = ln E_C - ln E_Q`` over ``[lower, upper]`` finds the root ``n0``.
    Then one Newton step ``n* = n0 - g(n0, hw) / g'(n0)``, with ``n0`` and ``g'`` held
    constant, carries the implicit-function derivative ``dn*/dhw = -(dg/dhw) / (dg/dn)``
    into ``grad``.
    Bisection halves the bracket per step, so 80 steps resolve a 4096-wide bracket to
    ``4096 / 2^80``, far below float32 resolution.

    Returns:
        ``n*``; ``lower`` if quantum is already cheaper at ``lower``; ``inf`` if it is not
        cheaper anywhere up to ``upper`` (then the gradient is 0).
    """
    g = lambda x: log_energy_ratio(x, hw)  # noqa: E731
    lo = jnp.asarray(lower, jnp.result_type(float))
    hi = jnp.asarray(upper, jnp.result_type(float))

    def step(_, bracket):
        a, b = bracket
        mid = 0.5 * (a + b)
        below = g(mid) < 0
        return jnp.where(below, mid, a), jnp.where(below, b, mid)

    a, b = lax.fori_loop(0, iterations, step, (lo, hi))
    root = lax.stop_gradient(0.5 * (a + b))
    slope = lax.stop_gradient(jax.grad(g)(root))
    refined = root - g(root) / slope
    g_lo, g_hi = lax.stop_gradient(g(lo)), lax.stop_gradient(g(hi))
    return jnp.where(g_lo >= 0, lo, jnp.where(g_hi < 0, jnp.inf, refined))
