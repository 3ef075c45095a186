"""Solve Simon's problem by statevector simulation and compare its energy with classical search.

    PYTHONPATH=. python examples/quantum_simon.py

Builds a random function with a hidden period ``s`` on n = 8 bits, runs Simon's algorithm on
16 simulated qubits, checks the gate-by-gate oracle against the lookup-table oracle, runs the
classical collision search on the same function, and prints the energy crossover for the
default hardware parameters together with its sensitivity to the gate energy.
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxsim.quantum import (
    FOUND,
    Hardware,
    bits_to_int,
    collision_search,
    crossover_n,
    int_to_bits,
    run_circuit,
    run_simon,
    simon_circuit,
    simon_state,
    simon_table,
    zero_state,
)

n = 8
s = (1, 0, 1, 1, 0, 0, 1, 0)
key = jax.random.key(0)

# Quantum: 2n qubits, about n runs, then Gaussian elimination over GF(2).
table = simon_table(s, key)  # f = random relabelling of x XOR (x_0 * s)
result = run_simon(jax.random.key(1), table, n)
assert int(result.status) == FOUND
print(f"secret s           = {s}")
print(f"Simon recovered    = {int_to_bits(int(result.s), n)} after {int(result.runs)} runs "
      f"(+2 classical checks)")

# The CNOT circuit and the blocked Simon pipeline give the same final state.
by_gates = run_circuit(zero_state(2 * n), simon_circuit(s))
by_table = simon_state(simon_table(s), n)
print(f"gate vs table state, max |difference| = {float(jnp.max(jnp.abs(by_gates - by_table))):.1e}")

# Classical: query distinct random inputs until two values collide.
search = collision_search(jax.random.key(2), table)
assert int(search.s) == bits_to_int(s)
print(f"collision search   : {int(search.queries)} queries (2^(n/2) = {2 ** (n / 2):.0f})")

# Energy crossover and its derivative with respect to the energy of one gate.
with jax.enable_x64(True):
    hw = jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), Hardware())
    n_star = crossover_n(hw)
    dn_dgate = jax.grad(crossover_n)(hw).gate_energy_j
print(f"energy crossover   : n = {float(n_star):.1f} bits; d n / d ln(gate energy) = "
      f"{float(dn_dgate * hw.gate_energy_j):.2f}")
