"""Active-particle dynamics: self-propelled disks in periodic boxes, with O(N) neighbour lists.

Spaces (:mod:`~jaxsim.active.space`): ``periodic_box(n, phi, radius)`` builds a
:class:`PeriodicBox` of side ``L = sqrt(n pi r^2 / phi)`` (in 2-D) with minimum-image
``space.displacement(a, b)``, and ``open_space(dim)`` builds an unbounded :class:`OpenSpace` for
trapped systems. Neighbours (:mod:`~jaxsim.active.neighbors`): ``allocate(positions, space, cutoff,
skin, format="rows" | "pairs")`` sizes and builds a cell-list :class:`NeighborList` of fixed
capacity with a sticky ``overflow`` flag. ``update(neighbors, positions, space)`` rebuilds it
inside ``jit`` when a particle moved more than ``skin / 2``, and ``grow(spec, neighbors)``
enlarges the capacities after an overflow. ``k_nearest_neighbors(positions, space, k, radius=None)``
returns ``(indices (n, k), displacements x_j - x_i (n, k, d), overflow)`` sorted by distance,
ranking only cell-list candidates. ``method="dense"`` and the ``*_dense`` functions are the O(N^2)
oracles. Linear theory (:mod:`~jaxsim.active.linear`): ``solve_lyapunov(M, D)`` returns the
stationary covariance of ``dz = M z dt + sqrt(2 D) dW``, differentiably, and
``solve_discrete_lyapunov(F, Q)`` that of one integrator step. ``aoup_linear_system(n,
trap_stiffness=A, spring_stiffness=k, v0=, gamma=, eps=)`` builds ``(M, D)`` for trapped AOUPs
joined by harmonic springs. Dynamics (:mod:`~jaxsim.active.models`, :mod:`~jaxsim.active.forces`):
``System(AOUP(v0, gamma, eps) | ABP(v0, Dr, Dt), space, dt, pair=soft_disks(k, r) | wca_disks(e, r))``
with ``system.init(key, positions)`` and ``system.step(state, neighbors, key)``. The driver
(:mod:`~jaxsim.active.simulate`): ``run(system, state, key, n_steps, ...)`` with snapshots,
overflow recovery, NaN detection and checkpoints, ``advance`` for a pure jittable loop, and
``run_ensemble`` over PRNG keys sharded across devices. Noise (:mod:`~jaxsim.active.noise`):
``fold_in`` and ``standard_normal`` compute step keys and normal variates with an unrolled
Threefry-2x32 hash, which XLA on CPU runs faster than ``jax.random``'s rolled loop.
"""

from jaxsim.active.forces import (
    PairPotential,
    pair_forces,
    pair_forces_dense,
    soft_disks,
    spring_forces,
    trap_forces,
    wca_disks,
)
from jaxsim.active.linear import aoup_discrete_system, aoup_linear_system, solve_discrete_lyapunov, solve_lyapunov
from jaxsim.active.models import ABP, AOUP, ABPState, AOUPState, System
from jaxsim.active.neighbors import (
    CellGrid,
    NeighborList,
    NeighborSpec,
    allocate,
    build,
    cell_grid,
    dense_neighbor_indices,
    grow,
    k_nearest_neighbors,
    k_nearest_neighbors_dense,
    needs_rebuild,
    neighbor_spec,
    update,
)
from jaxsim.active.simulate import EnsembleResult, NonFiniteError, Trajectory, advance, allocate_for, run, run_ensemble
from jaxsim.active.space import (
    OpenSpace,
    PeriodicBox,
    Space,
    ball_volume,
    box_side,
    max_packing_fraction,
    open_space,
    periodic_box,
)

__all__ = [
    "ABP",
    "ABPState",
    "AOUP",
    "AOUPState",
    "EnsembleResult",
    "NonFiniteError",
    "PairPotential",
    "System",
    "Trajectory",
    "advance",
    "allocate_for",
    "pair_forces",
    "pair_forces_dense",
    "run",
    "run_ensemble",
    "soft_disks",
    "spring_forces",
    "trap_forces",
    "wca_disks",
    "CellGrid",
    "NeighborList",
    "NeighborSpec",
    "OpenSpace",
    "PeriodicBox",
    "Space",
    "allocate",
    "aoup_discrete_system",
    "aoup_linear_system",
    "ball_volume",
    "box_side",
    "build",
    "cell_grid",
    "dense_neighbor_indices",
    "grow",
    "k_nearest_neighbors",
    "k_nearest_neighbors_dense",
    "max_packing_fraction",
    "needs_rebuild",
    "neighbor_spec",
    "open_space",
    "periodic_box",
    "solve_discrete_lyapunov",
    "solve_lyapunov",
    "update",
]
