"""Benchmark jaxsim's active-particle step against jax-md's Brownian dynamics with a neighbour list.

Both simulate the same system: N soft disks of diameter sigma = 1 with the harmonic overlap force
k (sigma - d), k = epsilon / sigma^2 = 1 (jax-md ``soft_sphere`` with alpha = 2), at packing
fraction 0.6 in a periodic box, overdamped with unit mobility, temperature kT, time step dt and the
same neighbour-list skin (jax-md's ``dr_threshold``). jaxsim runs ABPs with v0 = 0, so that its
work matches Brownian dynamics (it draws one extra normal per particle for the angle). Both start
from the same relaxed configuration. Each timed call runs ``steps`` steps in one compiled loop
that updates the neighbour list every step (rebuilding when a particle moved half the skin);
compile time is measured apart and every call ends in ``block_until_ready``. The programs are
timed in turn, round after round, so that changes of the load of a shared machine hit all alike. jax-md is timed with
its dense and its ordered-sparse neighbour formats, and the faster one is the peer.

    PYTHONPATH=. /work/venv-bench/bin/python benchmarks/active_dynamics.py [--quick]

Writes benchmarks/results/active_dynamics.json (or active_dynamics_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxsim.active as active
from jaxsim.core.report import environment_record
from jaxsim.core.timing import summarize_times

PHI = 0.6
RADIUS = 0.5
DT = 0.005
KT = 0.01
SKIN = 0.3


def relaxed_positions(n: int, box: active.PeriodicBox) -> jax.Array:
    """Relax random positions with 400 jaxsim steps so that neither code times the initial overlaps."""
    system = active.System(active.ABP(0.0, 0.0, KT), box, DT, pair=active.soft_disks(1.0, RADIUS))
    positions = jax.random.uniform(jax.random.key(0), (n, 2), maxval=box.side)
    state = system.init(jax.random.key(1), positions)
    trajectory = active.run(system, state, jax.random.key(2), 400, snapshot_every=400, skin=SKIN, progress=False)
    return box.wrap(trajectory.state.positions)


def prepare_jaxsim(positions: jax.Array, box: active.PeriodicBox, steps: int):
    """Return ``(compiled, args, compile_s, summary)`` for jaxsim's ``steps``-step loop."""
    system = active.System(active.ABP(0.0, 0.0, KT), box, DT, pair=active.soft_disks(1.0, RADIUS))
    state = system.init(jax.random.key(3), positions)
    neighbors = active.allocate(positions, box, system.pair.cutoff, SKIN, capacity_factor=1.25, format="pairs")

    def simulate(state, neighbors, key):
        return active.advance(system, state, neighbors, key, 0, steps)

    args = (state, neighbors, jax.random.key(4))
    compiled, compile_s = compile_timed(simulate, args)
    final_state, final_neighbors = jax.block_until_ready(compiled(*args))

    summary = {
        "overflow": bool(final_neighbors.overflow),
        "rebuilds_per_call": int(final_neighbors.n_builds) - 1,
        "capacity": final_neighbors.spec.capacity,
        "finite": bool(jnp.all(jnp.isfinite(final_state.positions))),
    }
    return compiled, args, compile_s, summary


def prepare_jax_md(positions: jax.Array, side: float, steps: int, fmt_name: str):
    """Return ``(compiled, args, compile_s, summary)`` for jax-md's ``steps``-step loop."""
    from jax_md import energy, partition, simulate, space

    displacement, shift = space.periodic(side)
    fmt = getattr(partition.NeighborListFormat, fmt_name)
    neighbor_fn, energy_fn = energy.soft_sphere_neighbor_list(
        displacement, side, sigma=2 * RADIUS, epsilon=1.0, alpha=2.0, dr_threshold=SKIN, format=fmt
    )
    init_fn, apply_fn = simulate.brownian(energy_fn, shift, DT, KT, gamma=1.0)
    neighbors = neighbor_fn.allocate(positions)
    state = init_fn(jax.random.key(5), positions)

    def simulate_steps(state, neighbors):
        def body(_, carry):
            state, neighbors = carry
            neighbors = neighbors.update(state.position)
            state = apply_fn(state, neighbor=neighbors)
            return state, neighbors

        return jax.lax.fori_loop(0, steps, body, (state, neighbors))

    args = (state, neighbors)
    compiled, compile_s = compile_timed(simulate_steps, args)
    final_state, final_neighbors = jax.block_until_ready(compiled(*args))
    summary = {
        "overflow": bool(final_neighbors.did_buffer_overflow),
        "finite": bool(jnp.all(jnp.isfinite(final_state.position))),
    }
    return compiled, args, compile_s, summary


def compile_timed(fn, args):
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - start


def time_interleaved(programs: dict, n: int, steps: int, repeats: int) -> dict:
    """Time the compiled programs in turn, round after round, so that load changes hit all alike."""
    times = {name: [] for name in programs}
    for _ in range(repeats):
        for name, (compiled, args, _, _) in programs.items():
            start = time.perf_counter()
            jax.block_until_ready(compiled(*args))
            times[name].append(time.perf_counter() - start)
    results = {}
    for name, (_, _, compile_s, summary) in programs.items():
        timing = summarize_times(compile_s, times[name])
        results[name] = {**timing.to_dict(), "particle_steps_per_second": n * steps / timing.median_s, **summary}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes and few steps, for a smoke run")
    parser.add_argument("--sizes", type=int, nargs="*", default=None, help="particle numbers (default 1024 ... 65536)")
    args = parser.parse_args()
    sizes = args.sizes or ([256, 1024] if args.quick else [1024, 4096, 16384, 65536])
    repeats = 2 if args.quick else 7



    rows = []
    for n in sizes:
        box = active.periodic_box(n, PHI, RADIUS)
        # About 2e6 particle-steps per call, so that a call takes around a second.
        steps = 20 if args.quick else int(min(2000, max(50, 2_000_000 // n)))
        positions = relaxed_positions(n, box)
        load_before = os.getloadavg()
        programs = {"jaxsim": prepare_jaxsim(positions, box, steps)}
        for fmt in ("Dense", "OrderedSparse"):
            programs[fmt] = prepare_jax_md(positions, box.side, steps, fmt)
        timed = time_interleaved(programs, n, steps, repeats)
        ours = timed.pop("jaxsim")
        peers = timed
        load_after = os.getloadavg()
        best = max(peers, key=lambda fmt: peers[fmt]["particle_steps_per_second"])
        ratio = ours["particle_steps_per_second"] / peers[best]["particle_steps_per_second"]
        rows.append({
            "n": n, "side": box.side, "steps_per_call": steps, "jaxsim": ours, "jax_md": peers,
            "jax_md_best_format": best, "ratio": ratio,
            "loadavg_before": list(load_before), "loadavg_after": list(load_after),
        })
        print(
            f"N={n:6d} jaxsim {ours['particle_steps_per_second']:.3e} p-steps/s, jax-md ({best}) "
            f"{peers[best]['particle_steps_per_second']:.3e}, ratio {ratio:.2f}, load {load_after[0]:.1f}",
            flush=True,
        )

    result = {
        "benchmark": "active_dynamics",
        "system": {"phi": PHI, "radius": RADIUS, "dt": DT, "kT": KT, "skin": SKIN, "potential": "harmonic overlap k=1"},
        "rows": rows,
        "environment": {**environment_record(0), "jax_md": importlib.metadata.version("jax-md"), "loadavg_end": list(os.getloadavg()),
                        "cpu_count": os.cpu_count(), "time_unix": time.time()},
    }
    name = "active_dynamics_quick.json" if args.quick else "active_dynamics.json"
    out = Path(__file__).resolve().parent / "results" / name
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
