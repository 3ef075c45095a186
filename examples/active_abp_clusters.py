"""Run active Brownian disks in a periodic box with a cell-list neighbour list and checkpoints.

1024 soft disks at packing fraction 0.65 and Peclet number 200 start to form clusters. The run is
checkpointed, so interrupting and rerunning the script resumes it. Run from the repository root:

    PYTHONPATH=. python examples/active_abp_clusters.py
"""

import tempfile

import jax
import numpy as np

import jaxsim.active as active

N = 1024
box = active.periodic_box(N, phi=0.65, radius=0.5)
system = active.System(
    active.ABP(v0=1.0, rotational_diffusion=0.005, translational_diffusion=0.0),
    box,
    dt=0.004,
    pair=active.soft_disks(strength=50.0, radius=0.5),
)
positions = jax.random.uniform(jax.random.key(0), (N, 2), maxval=box.side)
state = system.init(jax.random.key(1), positions)

checkpoints = tempfile.mkdtemp(prefix="abp-checkpoints-")
trajectory = active.run(
    system, state, jax.random.key(2), 6000, snapshot_every=1000, checkpoint_dir=checkpoints, resume=True
)
print(f"snapshots {trajectory.positions.shape}, neighbour rebuilds {int(trajectory.neighbors.n_builds)}, "
      f"capacity growths {trajectory.n_regrows}, checkpoints in {checkpoints}")

# Local packing fraction from the 6 nearest neighbours: 7 disks of radius 0.5 in the circle that
# reaches the 6th. Within the search radius of 4 diameters almost every particle of the dilute gas
# has 6 neighbours, and the overflow flag reports whether any falls short.
K = 6
for index in (0, len(trajectory.positions) - 1):
    _, displacements, overflow = active.k_nearest_neighbors(trajectory.positions[index], box, K, radius=4.0)
    distance = np.linalg.norm(np.asarray(displacements), axis=-1).max(axis=1)
    local_phi = (K + 1) * 0.25 / distance**2
    print(f"t = {float(trajectory.steps[index]) * 0.004:5.1f}: local phi quartiles "
          f"{np.percentile(local_phi, [25, 50, 75]).round(2)}, some particle short of {K} neighbours "
          f"within the radius or a cell overflowed: {bool(overflow)}")
