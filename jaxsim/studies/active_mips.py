"""Motility-induced phase separation (MIPS) of active Brownian disks.

N soft harmonic disks (diameter sigma = 1, stiffness k = 50, so v0 / (k sigma) = 0.02) with
self-propulsion v0 = 1 and rotational diffusion Dr = 0.005, i.e. Peclet number
Pe = v0 / (Dr sigma) = 200, at packing fraction 0.65 in a periodic box and without translational
noise. Fily and Marchetti (2012, "Athermal phase separation of self-propelled particles with no
alignment", Phys. Rev. Lett. 108, 235702) found this model to phase separate at such packing
fractions once the persistence length v0 / Dr is hundreds of diameters: particles that collide
block each other until their orientations decorrelate, and the clusters they form grow.

The local packing fraction of particle i counts the particles within R = 2 sigma:
phi_i = (1 + count_i) (sigma / 2)^2 / R^2. It is Voronoi-free and becomes bimodal (gas and
dense phase) under MIPS. Metrics:

- ``dense_phase_fraction``: fraction of particles with phi_i > 0.85 at the end of the run (the
  threshold lies between the homogeneous 0.65 and the dense phase, where soft disks pack near 1).
- ``dense_phase_fraction_initial``: the same after the first snapshot, for contrast.
- ``gas_phase_fraction``: fraction with phi_i < 0.35 at the end.
- ``bimodality_coefficient``: Sarle's (skew^2 + 1) / kurtosis of phi_i at the end; values above
  5/9 (that of a uniform distribution) indicate a bimodal density.
- ``particle_steps_per_second``: N times steps over the wall time of the recorded run, without
  compilation.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxsim.active as active
from jaxsim.studies import register

PHI = 0.65
RADIUS = 0.5
STIFFNESS = 50.0
V0 = 1.0
DR = 0.005
DT = 0.004
DENSITY_RADIUS = 2.0
DENSE_THRESHOLD = 0.85
GAS_THRESHOLD = 0.35


def local_packing_fraction(positions: jax.Array, box: active.PeriodicBox) -> np.ndarray:
    """Return ``(1 + count_i) r^2 / R^2`` with ``count_i`` the particles within ``R`` of particle ``i``."""
    neighbors = active.allocate(positions, box, DENSITY_RADIUS, 0.0, capacity_factor=1.0, min_capacity=1)
    counts = np.sum(np.asarray(neighbors.indices) < positions.shape[0], axis=1)
    return (1 + counts) * RADIUS**2 / DENSITY_RADIUS**2


def bimodality_coefficient(values: np.ndarray) -> float:
    """Return Sarle's bimodality coefficient ``(skew^2 + 1) / kurtosis`` (kurtosis not in excess)."""
    centred = values - values.mean()
    variance = np.mean(centred**2)
    skew = np.mean(centred**3) / variance**1.5
    kurtosis = np.mean(centred**4) / variance**2
    return float((skew**2 + 1) / kurtosis)


@register("active-mips", "Motility-induced phase separation of 4096 active Brownian disks at Pe = 200")
def run(report) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = 512 if report.quick else 4096
    n_steps = 3000 if report.quick else 50000
    n_snapshots = 5 if report.quick else 10
    every = n_steps // n_snapshots
    box = active.periodic_box(n, PHI, RADIUS)
    system = active.System(active.ABP(V0, DR, 0.0), box, DT, pair=active.soft_disks(STIFFNESS, RADIUS))
    key = jax.random.key(report.seed)
    place_key, init_key, run_key = jax.random.split(key, 3)
    positions = jax.random.uniform(place_key, (n, 2), maxval=box.side)
    state = system.init(init_key, positions)
    report.add_settings(
        n=n, phi=PHI, radius=RADIUS, stiffness=STIFFNESS, v0=V0, rotational_diffusion=DR,
        translational_diffusion=0.0, dt=DT, n_steps=n_steps, snapshot_every=every, box_side=box.side,
        peclet=V0 / (DR * 2 * RADIUS), density_radius=DENSITY_RADIUS, dense_threshold=DENSE_THRESHOLD,
    )

    # One segment first, so that the timed run does not include compilation.
    warm = active.run(system, state, run_key, every, snapshot_every=every, segment_snapshots=1, progress=False)
    start = time.perf_counter()
    trajectory = active.run(system, state, run_key, n_steps, snapshot_every=every, segment_snapshots=1,
                            neighbors=warm.neighbors if warm.n_regrows else None)
    jax.block_until_ready(trajectory.positions)
    wall = time.perf_counter() - start

    frames = np.asarray(box.wrap(trajectory.positions))
    local = [local_packing_fraction(jnp.asarray(frame), box) for frame in frames]
    final, first = local[-1], local[0]
    report.add_metrics({
        "dense_phase_fraction": float(np.mean(final > DENSE_THRESHOLD)),
        "dense_phase_fraction_initial": float(np.mean(first > DENSE_THRESHOLD)),
        "gas_phase_fraction": float(np.mean(final < GAS_THRESHOLD)),
        "bimodality_coefficient": bimodality_coefficient(final),
        "bimodality_coefficient_initial": bimodality_coefficient(first),
        "particle_steps_per_second": n * n_steps / wall,
        "neighbor_regrows": trajectory.n_regrows,
        "neighbor_rebuilds": int(trajectory.neighbors.n_builds),
    })
    times = np.asarray(trajectory.steps) * DT
    rows = [[float(t), float(np.mean(phi > DENSE_THRESHOLD)), float(np.mean(phi < GAS_THRESHOLD)),
             bimodality_coefficient(phi)] for t, phi in zip(times, local)]
    report.add_table("phase_fractions", ["time", "dense_fraction", "gas_fraction", "bimodality"], rows)

    shown = sorted({0, len(frames) // 2, len(frames) - 1})
    figure, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 4.2))
    for axis, index in zip(np.atleast_1d(axes), shown):
        points = axis.scatter(frames[index, :, 0], frames[index, :, 1], c=local[index], s=2.0, cmap="viridis",
                              vmin=0.0, vmax=1.2)
        axis.set_title(f"t = {times[index]:.0f}")
        axis.set_aspect("equal")
        axis.set_xlim(0, box.side)
        axis.set_ylim(0, box.side)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.colorbar(points, ax=axes, label="local packing fraction")
    report.add_figure("snapshots", figure)

    figure, axis = plt.subplots(figsize=(5.5, 4))
    bins = np.linspace(0.0, 1.4, 29)
    for index in shown:
        axis.hist(local[index], bins=bins, histtype="step", density=True, label=f"t = {times[index]:.0f}")
    axis.axvline(DENSE_THRESHOLD, color="grey", linestyle="--", linewidth=1)
    axis.set_xlabel(f"local packing fraction within R = {DENSITY_RADIUS:g} sigma")
    axis.set_ylabel("probability density")
    axis.legend()
    report.add_figure("local_density_histogram", figure)
    if report.quick:
        report.add_note("quick mode runs 512 disks for a short time, too short for clusters to form")
