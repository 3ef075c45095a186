"""Study: Simon's problem simulated up to n = 14, its classical baseline and energy crossover.

Simon (1997), "On the power of quantum computation", SIAM J. Comput. 26, 1474; energy model
after Meier and Yamasaki (2023), "Energy-consumption advantage of quantum computation",
arXiv:2305.11212, with the assumptions listed in :mod:`jaxsim.quantum.energy`.

Four parts:

1. Recovery: random instances ``f = pi o g_s`` with random nonzero ``s`` for each ``n``,
   solved end to end by statevector simulation (``2n`` qubits).
2. Success curve: the probability that ``m`` runs suffice, Monte Carlo against the exact
   ``prod_{i=0}^{n-2} (1 - 2^(i-m))``.
3. Classical baseline: exact query counts of randomised collision search against ``n``, with
   the fitted exponent of ``log2 queries = a n + b`` (theory: ``a -> 1/2``).
4. Energy: the quantum upper bound and the classical lower bound against ``n``, their
   crossover and its derivatives with respect to the hardware parameters.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jaxsim.core.ensemble import ensemble_keys  # noqa: E402
from jaxsim.core.progress import track  # noqa: E402
from jaxsim.quantum import (  # noqa: E402
    FOUND,
    Hardware,
    bits_to_int,
    classical_energy_lower,
    collision_search,
    crossover_n,
    quantum_energy_upper,
    query_lower_bound,
    run_simon,
    runs_needed,
    sample_from_probabilities,
    simon_probabilities,
    simon_table,
    success_probability,
)
from jaxsim.studies import register  # noqa: E402


def _settings(quick: bool) -> dict:
    if quick:
        return {
            "recovery_n": list(range(2, 8)),
            "instances": {n: 3 for n in range(2, 8)},
            "curve_n": 6,
            "curve_trials": 1000,
            "curve_max_runs": 16,
            "classical_n": [4, 7, 10],
            "classical_trials": 60,
            "energy_n_max": 200.0,
        }
    # An instance at n = 14 takes about two seconds with the blocked pipeline.
    instances = {n: 10 for n in range(2, 15)}
    return {
        "recovery_n": list(range(2, 15)),
        "instances": instances,
        "curve_n": 10,
        "curve_trials": 10000,
        "curve_max_runs": 24,
        "classical_n": list(range(4, 15)),
        "classical_trials": 200,
        "energy_n_max": 200.0,
    }


def _random_secret(rng: np.random.Generator, n: int) -> tuple[int, ...]:
    while True:
        s = tuple(int(b) for b in rng.integers(0, 2, n))
        if any(s):
            return s


def _recovery(report, cfg, rng) -> tuple[list, float, int]:
    rows = []
    total, correct, max_n = 0, 0, 0
    for n in track(cfg["recovery_n"], "Simon recovery"):
        start = time.perf_counter()
        hits, runs = 0, []
        for trial in range(cfg["instances"][n]):
            s = _random_secret(rng, n)
            key = jax.random.key(int(rng.integers(2**31)))
            table_key, run_key = jax.random.split(key)
            result = run_simon(run_key, simon_table(s, table_key), n)
            ok = int(result.status) == FOUND and int(result.s) == bits_to_int(s)
            hits += ok
            runs.append(int(result.runs))
        seconds = time.perf_counter() - start
        total += cfg["instances"][n]
        correct += hits
        if hits == cfg["instances"][n]:
            max_n = n
        rows.append([n, 2 * n, cfg["instances"][n], hits, float(np.mean(runs)), seconds])
    report.add_table("recovery", ["n", "qubits", "instances", "recovered", "mean_runs", "seconds"], rows)
    return rows, correct / total, max_n


def _success_curve(report, cfg, rng) -> float:
    n, trials, max_runs = cfg["curve_n"], cfg["curve_trials"], cfg["curve_max_runs"]
    s = _random_secret(rng, n)
    probs = simon_probabilities(simon_table(s, jax.random.key(int(rng.integers(2**31)))), n)

    def needed(key):
        return runs_needed(sample_from_probabilities(key, probs, max_runs), n)

    counts = np.asarray(ensemble_keys(needed, jax.random.key(report.seed), trials))
    ms = np.arange(n - 1, max_runs + 1)
    empirical = np.array([np.mean(counts <= m) for m in ms])
    exact = np.asarray(success_probability(n, ms))
    sigma = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / trials)
    report.add_table(
        "success_curve",
        ["runs", "empirical", "exact", "binomial_sigma"],
        [[int(m), float(e), float(x), float(sd)] for m, e, x, sd in zip(ms, empirical, exact, sigma)],
    )
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(ms, exact, "-", label="exact prod (1 - 2^(i-m))")
    ax.errorbar(ms, empirical, yerr=2 * sigma, fmt="o", ms=3, label=f"simulated, {trials} trials")
    ax.set_xlabel("runs m")
    ax.set_ylabel("P(s recovered)")
    ax.set_title(f"Simon success probability, n = {n}")
    ax.legend()
    report.add_figure("success_curve", fig)
    return float(np.max(np.abs(empirical - exact)))


def _classical(report, cfg, rng) -> float:
    rows, ns, means = [], [], []
    search = jax.jit(jax.vmap(collision_search, in_axes=(0, None)))
    for n in track(cfg["classical_n"], "collision search"):
        s = _random_secret(rng, n)
        table = simon_table(s, jax.random.key(int(rng.integers(2**31))))
        keys = jax.random.split(jax.random.key(int(rng.integers(2**31))), cfg["classical_trials"])
        result = search(keys, table)
        queries = np.asarray(result.queries)
        solved = np.asarray(result.s) == bits_to_int(s)
        ns.append(n)
        means.append(float(queries.mean()))
        rows.append([n, float(queries.mean()), float(np.median(queries)), float(2 ** (n / 2)),
                     float(query_lower_bound(float(n), 0.5)), float(solved.mean())])
    slope, intercept = np.polyfit(ns, np.log2(means), 1)
    report.add_table("classical_queries",
                     ["n", "mean_queries", "median_queries", "2^(n/2)", "lower_bound_p_half", "solved"], rows)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.semilogy(ns, means, "o", label="collision search (mean)")
    ax.semilogy(ns, 2.0 ** (np.asarray(ns) / 2), "--", label="2^(n/2)")
    ax.semilogy(ns, [r[4] for r in rows], ":", label="lower bound, p = 1/2")
    ax.semilogy(ns, 2.0 ** (slope * np.asarray(ns) + intercept), "-", lw=0.8, label=f"fit slope {slope:.3f}")
    ax.set_xlabel("n")
    ax.set_ylabel("queries")
    ax.legend()
    report.add_figure("classical_queries", fig)
    return float(slope)


def _energy(report, cfg) -> tuple[float, list]:
    with jax.enable_x64(True):
        hw = jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), Hardware().check())
        n_star = float(crossover_n(hw))
        grad = jax.grad(crossover_n)(hw)
        ns = jnp.linspace(2.0, cfg["energy_n_max"], 397)
        e_q = np.asarray(quantum_energy_upper(ns, hw))
        e_c = np.asarray(classical_energy_lower(ns, hw))
        rows = []
        for name in hw.__dataclass_fields__:
            value = float(getattr(hw, name))
            derivative = float(getattr(grad, name))
            rows.append([name, value, derivative, derivative * value])
    report.add_table("crossover_sensitivity", ["parameter", "value", "dn_dparam", "dn_dlog_param"], rows)
    report.add_settings(hardware={r[0]: r[1] for r in rows})
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.semilogy(np.asarray(ns), e_q, label="quantum, achievable upper bound")
    ax.semilogy(np.asarray(ns), e_c, label="classical, Landauer lower bound")
    if np.isfinite(n_star):
        ax.axvline(n_star, color="k", ls=":", label=f"crossover n = {n_star:.1f}")
    ax.set_xlabel("n (bits)")
    ax.set_ylabel("energy (J)")
    ax.legend(fontsize=8)
    report.add_figure("energy_bounds", fig)
    return n_star, rows


@register("quantum-simon", "Simon's algorithm by statevector simulation, classical baseline and energy crossover")
def run(report) -> None:
    cfg = _settings(report.quick)
    report.add_settings(**{k: v for k, v in cfg.items() if k != "instances"},
                        instances={str(k): v for k, v in cfg["instances"].items()})
    rng = np.random.default_rng(report.seed)

    _, success_rate, max_n = _recovery(report, cfg, rng)
    curve_error = _success_curve(report, cfg, rng)
    exponent = _classical(report, cfg, rng)
    n_star, sensitivity = _energy(report, cfg)

    report.add_metric("simon_max_n", max_n)
    report.add_metric("simon_success_rate", success_rate)
    report.add_metric("success_curve_max_abs_error", curve_error)
    report.add_metric("classical_query_exponent", exponent)
    report.add_metric("energy_crossover_n", n_star)
    for name, _, _, per_log in sensitivity:
        if name in ("gate_energy_j", "environment_temperature_k", "erasure_overhead"):
            report.add_metric(f"crossover_dn_dlog_{name}", per_log)
    report.add_note(
        "Each recovery simulates the 2n-qubit state once and draws every run's outcome from its exact "
        "distribution, which has the statistics of repeated circuit runs."
    )
    report.add_note(
        "The energy bounds use illustrative hardware parameters (settings.hardware); the classical bound "
        "assumes a memory polynomial in n, so the query register is erased before each query."
    )
