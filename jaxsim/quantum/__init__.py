"""Statevector simulation of Simon's problem, its classical baseline and its energy accounting.

- :mod:`~jaxsim.quantum.state`: statevectors of shape ``(2,) * n``, dtype and memory checks.
- :mod:`~jaxsim.quantum.gates`: gate matrices and the unitarity check.
- :mod:`~jaxsim.quantum.apply`: one-qubit, controlled and two-qubit gates.
- :mod:`~jaxsim.quantum.circuit`: circuits as data, run by one ``lax.scan``.
- :mod:`~jaxsim.quantum.walsh`: Hadamard layers by a fast Walsh-Hadamard transform.
- :mod:`~jaxsim.quantum.measure`: measurement probabilities and sampling.
- :mod:`~jaxsim.quantum.oracle`: function oracles as basis permutations; Simon's oracle.
- :mod:`~jaxsim.quantum.gf2`: bit-packed Gaussian elimination over GF(2).
- :mod:`~jaxsim.quantum.simon`: Simon's algorithm end to end and its success probability.
- :mod:`~jaxsim.quantum.classical`: collision search and the classical query lower bound.
- :mod:`~jaxsim.quantum.energy`: quantum and classical energy bounds and their crossover.
"""

from jaxsim.quantum import gates
from jaxsim.quantum.apply import apply_controlled, apply_gate
from jaxsim.quantum.circuit import (
    CONTROLLED,
    ONE,
    TWO,
    Circuit,
    Op,
    cnot,
    controlled,
    hadamard,
    one_qubit,
    pauli_x,
    run_circuit,
    two_qubit,
)
from jaxsim.quantum.classical import (
    CollisionResult,
    collision_search,
    log_query_lower_bound,
    query_lower_bound,
    success_upper_bound,
)
from jaxsim.quantum.energy import (
    Hardware,
    classical_energy_lower,
    crossover_n,
    erasure_energy,
    landauer_energy,
    log_energy_ratio,
    quantum_energy_upper,
    quantum_runs,
    qubit_reset_energy,
)
from jaxsim.quantum.gf2 import echelon_ranks, insert_row, null_vector, rank_of, reduce_basis
from jaxsim.quantum.measure import outcome_bits, probabilities, sample, sample_from_probabilities
from jaxsim.quantum.oracle import apply_oracle, bits_to_int, check_secret, int_to_bits, simon_oracle_ops, simon_table
from jaxsim.quantum.simon import (
    FOUND,
    NEED_MORE_RUNS,
    ONE_TO_ONE,
    SimonResult,
    run_simon,
    runs_for_failure_probability,
    runs_needed,
    simon_circuit,
    simon_probabilities,
    simon_state,
    solve_simon,
    success_probability,
)
from jaxsim.quantum.state import (
    PrecisionWarning,
    as_state,
    available_memory_bytes,
    basis_state,
    check_memory,
    complex_dtype,
    state_bytes,
    zero_state,
)
from jaxsim.quantum.walsh import walsh_hadamard

__all__ = [
    "CONTROLLED",
    "FOUND",
    "NEED_MORE_RUNS",
    "ONE",
    "ONE_TO_ONE",
    "TWO",
    "Circuit",
    "CollisionResult",
    "Hardware",
    "Op",
    "PrecisionWarning",
    "SimonResult",
    "apply_controlled",
    "apply_gate",
    "apply_oracle",
    "as_state",
    "available_memory_bytes",
    "basis_state",
    "bits_to_int",
    "check_memory",
    "check_secret",
    "classical_energy_lower",
    "cnot",
    "collision_search",
    "complex_dtype",
    "controlled",
    "crossover_n",
    "echelon_ranks",
    "erasure_energy",
    "gates",
    "hadamard",
    "insert_row",
    "int_to_bits",
    "landauer_energy",
    "log_energy_ratio",
    "log_query_lower_bound",
    "null_vector",
    "one_qubit",
    "outcome_bits",
    "pauli_x",
    "probabilities",
    "quantum_energy_upper",
    "quantum_runs",
    "query_lower_bound",
    "qubit_reset_energy",
    "rank_of",
    "reduce_basis",
    "run_circuit",
    "run_simon",
    "runs_for_failure_probability",
    "runs_needed",
    "sample",
    "sample_from_probabilities",
    "simon_circuit",
    "simon_oracle_ops",
    "simon_probabilities",
    "simon_state",
    "simon_table",
    "solve_simon",
    "state_bytes",
    "success_probability",
    "success_upper_bound",
    "two_qubit",
    "walsh_hadamard",
    "zero_state",
]
