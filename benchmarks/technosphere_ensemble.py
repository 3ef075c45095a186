"""Logistic growth trajectories: jaxsim (diffrax, vmap + jit) against a loop of scipy's solve_ivp.

Both integrate ``d ln P / dt = r (1 - P / K)`` for parameters drawn at random, over 1000 years
with 32 saved times, with the same 5th-order Runge-Kutta family (Tsit5 in diffrax, RK45 =
Dormand-Prince in scipy) and the same tolerances (rtol = atol = 1e-6 on ln P). jaxsim runs the
whole batch in one jitted, vmapped call; scipy runs a Python loop over a subset, whose time is
scaled per trajectory. Compile time is reported apart from run time, and every jaxsim output
is waited for with ``block_until_ready``. Both are checked against the closed form.

Run: PYTHONPATH=. python benchmarks/technosphere_ensemble.py [--quick]
Writes benchmarks/results/technosphere_ensemble.json (not with --quick unless --out is given).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import scipy
from scipy.integrate import solve_ivp

from jaxsim.core.report import environment_record
from jaxsim.core.timing import time_jitted
from jaxsim.technosphere import LogisticGrowth, logistic_power, solve_growth

RTOL = ATOL = 1e-6
T_END = 1000.0
N_SAVED = 32


def draw_parameters(n: int, seed: int) -> dict[str, np.ndarray]:
    """Draw rates (1/yr), capacities (W) and initial powers (W) log-uniformly."""
    rng = np.random.default_rng(seed)
    return {
        "rate": rng.uniform(0.005, 0.05, n),
        "capacity": 10.0 ** rng.uniform(15.0, 18.0, n),
        "power0": 10.0 ** rng.uniform(12.0, 14.0, n),
    }


def jaxsim_batch(rate, capacity, power0, ts):
    def one(r, k, p0):
        solution = solve_growth(LogisticGrowth(r, k, p0), ts, rtol=RTOL, atol=ATOL)
        return solution.ys

    return jax.vmap(one)(rate, capacity, power0)


def scipy_loop(params: dict[str, np.ndarray], ts: np.ndarray) -> np.ndarray:
    out = np.empty((params["rate"].size, ts.size))
    for i in range(params["rate"].size):
        rate, log_capacity = params["rate"][i], np.log(params["capacity"][i])

        def field(t, y, rate=rate, log_capacity=log_capacity):
            return rate * (1.0 - np.exp(y - log_capacity))

        solution = solve_ivp(field, (0.0, ts[-1]), [np.log(params["power0"][i])], method="RK45", t_eval=ts,
                             rtol=RTOL, atol=ATOL)
        if not solution.success:
            raise RuntimeError(f"solve_ivp failed on trajectory {i}: {solution.message}")
        out[i] = solution.y[0]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 jaxsim and 20 scipy trajectories, seconds")
    parser.add_argument("--n", type=int, default=100_000, help="jaxsim trajectories (default 100000)")
    parser.add_argument("--n-scipy", type=int, default=1_000, help="scipy trajectories, a subset (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed jaxsim calls (default 5)")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default benchmarks/results/...)")
    args = parser.parse_args()
    n, n_scipy, repeats = (1_000, 20, 3) if args.quick else (args.n, args.n_scipy, args.repeats)
    out = args.out or (None if args.quick else Path(__file__).parent / "results" / "technosphere_ensemble.json")

    params = draw_parameters(n, seed=0)
    ts_np = np.linspace(0.0, T_END, N_SAVED)
    ts = jnp.asarray(ts_np, dtype=jnp.float32)
    batch = [jnp.asarray(params[k], dtype=jnp.float32) for k in ("rate", "capacity", "power0")]

    load_before = os.getloadavg()
    timing = time_jitted(jaxsim_batch, *batch, ts, warmup=1, repeats=repeats)
    jax_ys = np.asarray(jax.jit(jaxsim_batch)(*batch, ts))

    subset = {k: v[:n_scipy] for k, v in params.items()}
    start = time.perf_counter()
    scipy_ys = scipy_loop(subset, ts_np)
    scipy_s = time.perf_counter() - start
    load_after = os.getloadavg()

    exact = np.log(np.asarray(logistic_power(ts_np[None, :], params["power0"][:, None], params["rate"][:, None],
                                             params["capacity"][:, None])))
    jax_rate = n / timing.median_s
    scipy_rate = n_scipy / scipy_s
    result = {
        "benchmark": "technosphere_ensemble",
        "problem": {"model": "logistic d lnP/dt = r (1 - P/K)", "t_end_years": T_END, "saved_times": N_SAVED,
                    "rtol": RTOL, "atol": ATOL, "jaxsim_trajectories": n, "scipy_trajectories": n_scipy},
        "jaxsim": {"solver": "diffrax Tsit5, PIDController, float32, jit(vmap)", "compile_s": timing.compile_s,
                   "median_run_s": timing.median_s, "iqr_run_s": timing.iqr_s, "runs_s": list(timing.times_s),
                   "trajectories_per_s": jax_rate,
                   "max_abs_error_lnP_vs_closed_form": float(np.max(np.abs(jax_ys - exact)))},
        "scipy": {"solver": "solve_ivp RK45, float64, Python loop", "run_s": scipy_s, "trajectories_per_s": scipy_rate,
                  "max_abs_error_lnP_vs_closed_form": float(np.max(np.abs(scipy_ys - exact[:n_scipy])))},
        "ratio_per_trajectory": jax_rate / scipy_rate,
        "goal_ratio": 100.0,
        "environment": {**environment_record(seed=0), "scipy": scipy.__version__,
                        "loadavg_before": list(load_before), "loadavg_after": list(load_after),
                        "cpu_count": os.cpu_count()},
    }
    print(json.dumps({k: result[k] for k in ("jaxsim", "scipy", "ratio_per_trajectory")}, indent=2))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
