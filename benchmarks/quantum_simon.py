"""Benchmark: Simon's circuit through jaxsim, PennyLane (default.qubit, jax) and qujax.

Every engine runs the same circuit on ``2n`` qubits: Hadamards on the ``n`` input qubits,
Simon's CNOT oracle for a fixed secret ``s`` (``n + |s|`` CNOTs), Hadamards again, and
returns the ``2^n`` probabilities of the input register. jaxsim runs it two ways:

- ``jaxsim``: its Simon pipeline, which writes the state after the oracle from the table and
  runs the last Hadamard layer as a Walsh-Hadamard transform over cache-sized blocks of
  output-register columns, in real arithmetic (every amplitude of this circuit is real);
- ``jaxsim-gates``: the gate list as a :class:`~jaxsim.quantum.Circuit`, one scan.

For each engine and ``n`` the script records compile time (trace + lower + compile, from the
first call for PennyLane, whose QNode is jitted as a whole) and the median run time, with
``block_until_ready`` on every output. All engines must agree on the probabilities.

Bandwidth of ``jaxsim``: one read and one write of the complex64 state of ``2n`` qubits (the
bytes that a copy of the state moves), divided by the run time, against a numpy copy of the
same state, the machine's practical memory bandwidth. The fraction is thus the copy time
over the simulation time. The pipeline computes every amplitude but keeps each block in
cache, so it never streams the whole state through memory. The copy is the yardstick of a
simulator that does.

A peer (and ``jaxsim-gates``) is skipped at larger ``n`` once one of its circuits took more
than ``--cap`` seconds, or when four state buffers would not fit in the available memory.
The JSON is rewritten after every ``n``, so an interrupted run keeps what it finished.

    PYTHONPATH=. /work/venv-bench/bin/python benchmarks/quantum_simon.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from jaxsim.core.report import environment_record
from jaxsim.core.timing import summarize_times
from jaxsim.quantum import simon_circuit, simon_oracle_ops, simon_table
from jaxsim.quantum.circuit import _run
from jaxsim.quantum.simon import _simon_probabilities
from jaxsim.quantum.state import available_memory_bytes

OUT = Path(__file__).resolve().parent / "results" / "quantum_simon.json"


def secret(n: int) -> tuple[int, ...]:
    """Return a fixed secret with about half its bits set, the same for every engine."""
    rng = np.random.default_rng(n)
    bits = tuple(int(b) for b in rng.integers(0, 2, n))
    return bits if any(bits) else (1,) + bits[1:]


def time_compiled(compile_fn, run_fn, repeats: int, warmup: bool = True) -> dict:
    start = time.perf_counter()
    compile_fn()
    compile_s = time.perf_counter() - start
    out = None
    if warmup:
        out = jax.block_until_ready(run_fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        out = jax.block_until_ready(run_fn())
        times.append(time.perf_counter() - start)
    result = summarize_times(compile_s, times).to_dict()
    result["probs"] = np.asarray(out, np.float64)
    return result


def bench_jaxsim(n: int, s, repeats: int, warmup: bool) -> dict:
    table = simon_table(s)
    one = jnp.ones((), jnp.complex64)
    lowered = {}

    def compile_fn():
        lowered["c"] = _simon_probabilities.lower(one, table, n=n).compile()

    return time_compiled(compile_fn, lambda: lowered["c"](one, table), repeats, warmup)


def bench_jaxsim_gates(n: int, s, repeats: int, warmup: bool) -> dict:
    circuit = simon_circuit(s)

    def probs(psi, circuit):
        final = _run(psi, circuit).reshape(1 << n, 1 << n)
        return jnp.sum(jnp.abs(final) ** 2, axis=1)

    fn = jax.jit(probs)
    initial = jnp.zeros((2,) * (2 * n), jnp.complex64).at[(0,) * (2 * n)].set(1)
    compiled = {}

    def compile_fn():
        compiled["c"] = fn.lower(initial, circuit).compile()

    return time_compiled(compile_fn, lambda: compiled["c"](initial, circuit), repeats, warmup)


def bench_pennylane(n: int, s, repeats: int, warmup: bool) -> dict:
    import pennylane as qml

    device = qml.device("default.qubit", wires=2 * n)

    # The RZ angle is an argument so that XLA cannot constant-fold the whole circuit at compile
    # time. RZ on |0> is a global phase, so the probabilities are those of Simon's circuit.
    @qml.qnode(device, interface="jax")
    def circuit(theta):
        qml.RZ(theta, wires=0)
        for q in range(n):
            qml.Hadamard(wires=q)
        for op in simon_oracle_ops(s):
            target, control = op.qubits
            qml.CNOT(wires=[control, target])
        for q in range(n):
            qml.Hadamard(wires=q)
        return qml.probs(wires=range(n))

    fn = jax.jit(circuit)
    theta = jnp.asarray(0.3)
    return time_compiled(lambda: jax.block_until_ready(fn(theta)), lambda: fn(theta), repeats, warmup)


def bench_qujax(n: int, s, repeats: int, warmup: bool) -> dict:
    import qujax

    gates, qubits, params = [], [], []
    for q in range(n):
        gates.append("H"), qubits.append([q]), params.append([])
    for op in simon_oracle_ops(s):
        target, control = op.qubits
        gates.append("CX"), qubits.append([control, target]), params.append([])
    for q in range(n):
        gates.append("H"), qubits.append([q]), params.append([])
    to_state = qujax.get_params_to_statetensor_func(gates, qubits, params, 2 * n)

    def probs(initial):
        # The initial state is an argument so that XLA cannot constant-fold the circuit.
        state = to_state(statetensor_in=initial).reshape(1 << n, 1 << n)
        return jnp.sum(jnp.abs(state) ** 2, axis=1)

    fn = jax.jit(probs)
    initial = jnp.zeros((2,) * (2 * n), jnp.complex64).at[(0,) * (2 * n)].set(1)
    compiled = {}

    def compile_fn():
        compiled["c"] = fn.lower(initial).compile()

    return time_compiled(compile_fn, lambda: compiled["c"](initial), repeats, warmup)


def numpy_copy_bandwidth(n_qubits: int, repeats: int) -> float:
    """Return the best read+write bandwidth of ``np.copyto`` on one complex64 state, bytes/s."""
    src = np.ones(1 << n_qubits, np.complex64)
    dst = np.empty_like(src)
    np.copyto(dst, src)  # touch every page first
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - start)
    return 2 * src.nbytes / best


def jaxsim_bytes(n: int) -> int:
    """Return the bytes of one read and one write of the complex64 state of ``2n`` qubits."""
    return 2 * 8 * (1 << (2 * n))


ENGINES = {
    "jaxsim": bench_jaxsim,
    "jaxsim-gates": bench_jaxsim_gates,
    "pennylane": bench_pennylane,
    "qujax": bench_qujax,
}
PEERS = ("pennylane", "qujax")


def run_s(row, name):
    return row["engines"].get(name, {}).get("median_s")


def write_results(args, rows, dropped, load_before) -> dict:
    """Write the JSON with every finished ``n`` and return its summary (called after each n)."""
    reached = [row for row in rows if any(run_s(row, p) for p in PEERS)]
    summary = {}
    if reached:
        last = reached[-1]
        peer_times = {p: run_s(last, p) for p in PEERS if run_s(last, p)}
        fastest = min(peer_times, key=peer_times.get)
        summary = {
            "largest_n_reached_by_a_peer": last["n"],
            "fastest_peer": fastest,
            "speedup_vs_fastest_peer": peer_times[fastest] / run_s(last, "jaxsim"),
            "jaxsim_bandwidth_fraction_at_largest_n": rows[-1]["jaxsim_bandwidth_fraction"],
            "largest_n": rows[-1]["n"],
        }
        if run_s(last, "jaxsim-gates"):
            summary["speedup_gates_vs_fastest_peer"] = peer_times[fastest] / run_s(last, "jaxsim-gates")
    env = environment_record(seed=0)
    import pennylane
    import qujax

    env.update({"pennylane": pennylane.__version__, "qujax": qujax.__version__,
                "loadavg_before": load_before, "loadavg_after": os.getloadavg(), "cpu_count": os.cpu_count()})
    out = {"benchmark": "quantum_simon", "quick": args.quick, "summary": summary, "rows": rows,
           "dropped": dropped, "environment": env}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 4 and 6 only, 2 repeats (seconds)")
    parser.add_argument("--n-min", type=int, default=6, help="smallest n (2n qubits), default 6")
    parser.add_argument("--n-max", type=int, default=14, help="largest n, default 14")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds per circuit before a peer is dropped")
    parser.add_argument("--out", type=Path, default=OUT, help=f"JSON output, default {OUT}")
    args = parser.parse_args()
    ns = [4, 6] if args.quick else list(range(args.n_min, args.n_max + 1))
    load_before = os.getloadavg()

    dropped: dict[str, str] = {}
    rows = []
    for n in ns:
        s = secret(n)
        # Large states run for seconds, so two timed calls without a warm-up suffice there.
        repeats = 5 if n <= 11 else 2
        if args.quick:
            repeats = 2
        row = {"n": n, "qubits": 2 * n, "secret": list(s), "engines": {}}
        reference = None
        for name, bench in ENGINES.items():
            if name in dropped:
                row["engines"][name] = {"skipped": dropped[name]}
                continue
            available = available_memory_bytes()
            if available is not None and 4 * 8 * (1 << (2 * n)) > available:
                row["engines"][name] = {"skipped": f"4 state buffers exceed MemAvailable={available}"}
                continue
            start = time.perf_counter()
            result = bench(n, s, repeats, n <= 11)
            total = time.perf_counter() - start
            probs = result.pop("probs")
            if reference is None:
                reference = probs
            result["max_abs_diff_vs_jaxsim"] = float(np.max(np.abs(probs - reference)))
            result["total_s"] = total
            row["engines"][name] = result
            print(f"n={n:2d} {name:13s} compile {result['compile_s']:8.3f} s  run {result['median_s']:9.4f} s  "
                  f"diff {result['max_abs_diff_vs_jaxsim']:.1e}", flush=True)
            if name != "jaxsim" and result["compile_s"] + result["median_s"] > args.cap:
                dropped[name] = f"a circuit at n={n} took more than {args.cap:g} s"
        copy_bw = numpy_copy_bandwidth(2 * n, 5)
        jax_bw = jaxsim_bytes(n) / row["engines"]["jaxsim"]["median_s"]
        row["numpy_copy_bytes_per_s"] = copy_bw
        row["jaxsim_bytes_per_s"] = jax_bw
        row["jaxsim_bandwidth_fraction"] = jax_bw / copy_bw
        rows.append(row)
        write_results(args, rows, dropped, load_before)

    summary = write_results(args, rows, dropped, load_before)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
