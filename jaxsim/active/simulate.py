"""Simulation driver: ``lax.scan`` over steps, snapshots, neighbour overflow recovery, NaN checks,
checkpoints and ensembles.

One step rebuilds the neighbour list when the skin criterion fails (inside ``jit``), computes the
forces and advances the model. Step ``t`` draws its noise from ``fold_in(key, t)``, so a run split
into segments, resumed from a checkpoint, or re-run after an overflow draws the same numbers.

A run is a host loop over segments of ``segment_snapshots`` snapshots, each one compiled call:

- Overflow recovery: the list's ``overflow`` flag is sticky, so after a segment one check shows
  whether any build dropped a neighbour. If so, the capacities grow geometrically
  (:func:`jaxsim.active.neighbors.grow`), the list is rebuilt from the positions at the segment's
  start, the step compiles once for the new shapes and the segment runs again.
- NaN detection: each step records the first step and particle whose position is not finite, and
  the run raises :class:`NonFiniteError` naming both.
- Checkpoints: after every segment the state, the neighbour list and the step count are saved with
  :class:`jaxsim.core.checkpoint.Checkpointer`; ``resume=True`` continues from the latest one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import math
from collections.abc import Callable
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int, PRNGKeyArray

from jaxsim.active.models import ABPState, AOUPState, System
from jaxsim.active.neighbors import CellGrid, NeighborList, NeighborSpec, allocate, build, grow, update
from jaxsim.active.noise import fold_in
from jaxsim.core.checkpoint import Checkpointer
from jaxsim.core.ensemble import ensemble_keys
from jaxsim.core.progress import progress_bar

__all__ = [
    "NonFiniteError",
    "Trajectory",
    "EnsembleResult",
    "advance",
    "allocate_for",
    "run",
    "run_ensemble",
]

State = AOUPState | ABPState


class NonFiniteError(FloatingPointError):
    """Raised when a position becomes NaN or infinite; names the first step and particle."""

    def __init__(self, step: int, particle: int, member: int | None = None):
        self.step = step
        self.particle = particle
        self.member = member
        where = "" if member is None else f" of ensemble member {member}"
        super().__init__(
            f"position of particle {particle}{where} became non-finite at step {step}; "
            "reduce dt or check the force parameters for overlapping or diverging particles."
        )


class _Health(eqx.Module):
    # First step (or -1) at which a position was not finite, and the particle.
    bad_step: Int[Array, ""]
    bad_particle: Int[Array, ""]


def _healthy() -> _Health:
    return _Health(jnp.asarray(-1, jnp.int32), jnp.asarray(-1, jnp.int32))


class Trajectory(eqx.Module):
    """Result of :func:`run`.

    Attributes:
        positions: snapshots of shape ``(snapshots, n, d)``, taken every ``snapshot_every`` steps
            (after steps ``snapshot_every``, ``2 snapshot_every``, ...), not wrapped into the box.
        steps: the step count of each snapshot, counted after thermalisation.
        state: the final state.
        neighbors: the final neighbour list.
        n_regrows: how many times the neighbour capacities were grown.
    """

    positions: Float[Array, "s n d"]
    steps: Int[Array, " s"]
    state: State
    neighbors: NeighborList | None
    n_regrows: int = eqx.field(static=True)


def allocate_for(system: System, positions: Float[Array, "n d"], *, skin: float = 0.3, **kwargs) -> NeighborList | None:
    """Allocate a pair-format neighbour list for ``system``'s pair potential, or return None without one.

    Keyword arguments go to :func:`jaxsim.active.neighbors.allocate`.
    """
    if system.pair is None:
        return None
    kwargs.setdefault("format", "pairs")
    return allocate(positions, system.space, system.pair.cutoff, skin, **kwargs)


def _one_step(system: System, key: PRNGKeyArray, carry, step: Int[Array, ""]):
    state, neighbors, health = carry
    if neighbors is not None:
        neighbors = update(neighbors, state.positions, system.space)
    state = system.step(state, neighbors, fold_in(key, step))
    finite = jnp.all(jnp.isfinite(state.positions), axis=-1)
    first = (health.bad_step < 0) & ~jnp.all(finite)
    health = _Health(
        jnp.where(first, step, health.bad_step),
        jnp.where(first, jnp.argmin(finite).astype(jnp.int32), health.bad_particle),
    )
    return (state, neighbors, health)


def advance(
    system: System,
    state: State,
    neighbors: NeighborList | None,
    key: PRNGKeyArray,
    start_step: Int[Array, ""],
    n_steps: int,
) -> tuple[State, NeighborList | None]:
    """Advance ``state`` by ``n_steps`` steps with ``lax.scan``, updating the neighbour list.

    Pure and jittable (``n_steps`` is static): the building block of :func:`run`, usable under
    ``vmap`` and ``grad``. Check ``neighbors.overflow`` afterwards. Noise of step ``t`` comes from
    ``fold_in(key, start_step + t)``.
    """
    carry = (state, neighbors, _healthy())
    steps = jnp.asarray(start_step, jnp.int32) + jnp.arange(n_steps, dtype=jnp.int32)
    (state, neighbors, _), _ = jax.lax.scan(
        lambda c, t: (_one_step(system, key, c, t), None), carry, steps
    )
    return state, neighbors


@functools.partial(jax.jit, static_argnames=("n_snapshots", "every", "record"))
def _segment(system, state, neighbors, key, start_step, *, n_snapshots: int, every: int, record: bool):
    def snapshot(carry, first_step):
        steps = first_step + jnp.arange(every, dtype=jnp.int32)
        carry, _ = jax.lax.scan(lambda c, t: (_one_step(system, key, c, t), None), carry, steps)
        return carry, carry[0].positions if record else None

    starts = start_step + every * jnp.arange(n_snapshots, dtype=jnp.int32)
    carry, frames = jax.lax.scan(snapshot, (state, neighbors, _healthy()), starts)
    state, neighbors, health = carry
    return state, neighbors, health, frames


_LIST_FIELDS = ("indices", "reference_positions", "image_offsets", "overflow", "max_neighbors", "max_cell_occupancy", "n_builds")


def _save(checkpointer: Checkpointer, state: State, neighbors: NeighborList | None, step: int,
          thermalized: bool, frames: list[np.ndarray]) -> None:
    tree = {"state": {field.name: getattr(state, field.name) for field in dataclasses.fields(state)}}
    if frames:
        tree["frames"] = np.stack(frames)
    metadata = {"step": step, "thermalized": thermalized, "n_frames": len(frames), "spec": None}
    if neighbors is not None:
        tree["neighbors"] = {name: getattr(neighbors, name) for name in _LIST_FIELDS}
        spec = neighbors.spec
        grid = None if spec.grid is None else dataclasses.asdict(spec.grid)
        metadata["spec"] = {"cutoff": spec.cutoff, "skin": spec.skin, "capacity": spec.capacity, "grid": grid,
                            "format": spec.format}
    # The checkpoint number counts saves, so thermalisation and the recorded steps stay ordered.
    number = (checkpointer.latest_step() or 0) + 1
    checkpointer.save(number, tree, metadata=metadata)


def _resume(checkpointer: Checkpointer, state: State, neighbors: NeighborList | None):
    # Restored without a template, because grown capacities change the saved shapes.
    _, tree, metadata = checkpointer.restore(None)
    restored_state = type(state)(**{name: jnp.asarray(value) for name, value in tree["state"].items()})
    if restored_state.positions.shape != state.positions.shape:
        raise ValueError(
            f"the checkpoint in {checkpointer.directory} holds positions of shape "
            f"{restored_state.positions.shape}, but this run has {state.positions.shape}; use a new folder."
        )
    restored_neighbors = None
    if metadata["spec"] is not None:
        data = metadata["spec"]
        grid = None if data["grid"] is None else CellGrid(**data["grid"])
        spec = NeighborSpec(data["cutoff"], data["skin"], data["capacity"], grid, data["format"])
        fields = {name: jnp.asarray(value) for name, value in tree["neighbors"].items()}
        restored_neighbors = NeighborList(spec=spec, **fields)
    elif neighbors is not None:
        raise ValueError(f"the checkpoint in {checkpointer.directory} has no neighbour list, but this run has one.")
    frames = list(np.asarray(tree["frames"])) if metadata["n_frames"] else []
    return restored_state, restored_neighbors, int(metadata["step"]), bool(metadata["thermalized"]), frames


@contextlib.contextmanager
def _null_bar():
    yield lambda n=1: None


def run(
    system: System,
    state: State,
    key: PRNGKeyArray,
    n_steps: int,
    *,
    snapshot_every: int = 100,
    thermalize_steps: int = 0,
    neighbors: NeighborList | None = None,
    skin: float = 0.3,
    segment_snapshots: int = 10,
    checkpoint_dir: str | Path | None = None,
    resume: bool = False,
    max_regrows: int = 8,
    progress: bool = True,
) -> Trajectory:
    """Run ``thermalize_steps`` unrecorded steps, then ``n_steps`` steps with snapshots.

    Args:
        system: the model, forces, space and ``dt``.
        state: initial state, e.g. ``system.init(key, positions)``.
        key: PRNG key; step ``t`` uses ``fold_in(key, t)`` (thermalisation uses a key split off).
        n_steps: recorded steps, a multiple of ``snapshot_every``.
        snapshot_every: steps between snapshots.
        thermalize_steps: steps run first and discarded, a multiple of ``snapshot_every``.
        neighbors: a neighbour list; allocated from ``state`` with ``skin`` when None and the system
            has a pair potential.
        segment_snapshots: snapshots per compiled call; overflow checks, checkpoints and the
            progress bar act once per segment.
        checkpoint_dir: folder for checkpoints after every segment, or None.
        resume: continue from the latest checkpoint in ``checkpoint_dir`` if one exists.
        max_regrows: limit on capacity growths before giving up.
        progress: show a progress bar over segments.

    Returns:
        A :class:`Trajectory`.

    Raises:
        NonFiniteError: if a position becomes NaN or infinite.
        RuntimeError: if the neighbour list still overflows after ``max_regrows`` growths.
    """
    for name, value in (("n_steps", n_steps), ("snapshot_every", snapshot_every), ("segment_snapshots", segment_snapshots)):
        if not (isinstance(value, int) and value > 0):
            raise ValueError(f"{name} must be a positive integer, got {name}={value!r}.")
    if not (isinstance(thermalize_steps, int) and thermalize_steps >= 0):
        raise ValueError(f"thermalize_steps must be an integer >= 0, got {thermalize_steps!r}.")
    for name, value in (("n_steps", n_steps), ("thermalize_steps", thermalize_steps)):
        if value % snapshot_every:
            raise ValueError(f"{name}={value} must be a multiple of snapshot_every={snapshot_every}.")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs a checkpoint_dir.")
    if neighbors is None:
        neighbors = allocate_for(system, state.positions, skin=skin)

    thermal_key, key = jax.random.split(key)
    n = state.positions.shape[0]
    total_snapshots = n_steps // snapshot_every
    frames: list[np.ndarray] = []
    step = 0
    thermalized = False
    regrows = 0
    checkpointer = Checkpointer(checkpoint_dir) if checkpoint_dir is not None else None

    if checkpointer is not None and resume and checkpointer.latest_step() is not None:
        state, neighbors, step, thermalized, frames = _resume(checkpointer, state, neighbors)

    def run_segment(state, neighbors, seg_key, start, n_snapshots, record):
        nonlocal regrows
        while True:
            new_state, new_neighbors, health, seg_frames = _segment(
                system, state, neighbors, seg_key, jnp.asarray(start, jnp.int32),
                n_snapshots=n_snapshots, every=snapshot_every, record=record,
            )
            if new_neighbors is None or not bool(new_neighbors.overflow):
                break
            if regrows >= max_regrows:
                raise RuntimeError(
                    f"the neighbour list still overflows after {regrows} capacity growths "
                    f"(capacity {neighbors.spec.capacity}); check for collapsing particles or raise max_regrows."
                )
            spec = grow(neighbors.spec, new_neighbors, n=n)
            neighbors = build(state.positions, system.space, spec)
            regrows += 1
        bad_step = int(health.bad_step)
        if bad_step >= 0:
            raise NonFiniteError(bad_step, int(health.bad_particle))
        return new_state, new_neighbors, seg_frames

    segments_thermal = 0 if thermalized else math.ceil(thermalize_steps // snapshot_every / segment_snapshots)
    segments_main = math.ceil((total_snapshots - len(frames)) / segment_snapshots)
    bar = progress_bar("active-particle run", total=segments_thermal + segments_main) if progress else _null_bar()
    with bar as advance_bar:
        if not thermalized:
            done = 0
            total_thermal = thermalize_steps // snapshot_every
            while done < total_thermal:
                count = min(segment_snapshots, total_thermal - done)
                state, neighbors, _ = run_segment(state, neighbors, thermal_key, done * snapshot_every, count, False)
                done += count
                advance_bar()
            thermalized = True
            if checkpointer is not None:
                _save(checkpointer, state, neighbors, step, thermalized, frames)
        while len(frames) < total_snapshots:
            count = min(segment_snapshots, total_snapshots - len(frames))
            state, neighbors, seg_frames = run_segment(state, neighbors, key, step, count, True)
            frames.extend(np.asarray(seg_frames))
            step += count * snapshot_every
            advance_bar()
            if checkpointer is not None:
                _save(checkpointer, state, neighbors, step, thermalized, frames)
    if checkpointer is not None:
        checkpointer.close()
    positions = jnp.asarray(np.stack(frames)) if frames else jnp.zeros((0, n, system.space.dim))
    steps = snapshot_every * (1 + jnp.arange(total_snapshots, dtype=jnp.int32))
    return Trajectory(positions, steps, state, neighbors, regrows)


class EnsembleResult(eqx.Module):
    """Result of :func:`run_ensemble`, with a leading member axis on every array.

    Attributes:
        positions: snapshots of shape ``(members, snapshots, n, d)``.
        state: final states.
        n_regrows: how many times the neighbour capacities were grown (for all members at once).
        spec: the neighbour settings of the final run, or None without a pair potential.
    """

    positions: Float[Array, "b s n d"]
    state: State
    n_regrows: int = eqx.field(static=True)
    spec: NeighborSpec | None = eqx.field(static=True)


def run_ensemble(
    system: System,
    init: Callable[[PRNGKeyArray], State],
    key: PRNGKeyArray,
    n_members: int,
    n_steps: int,
    *,
    snapshot_every: int = 100,
    thermalize_steps: int = 0,
    spec: NeighborSpec | None = None,
    max_regrows: int = 8,
    devices=None,
) -> EnsembleResult:
    """Run ``n_members`` independent copies, one per PRNG key, sharded over devices.

    Member ``i`` uses ``jax.random.split(key, n_members)[i]`` for its initial state (``init``),
    thermalisation and run, so results do not depend on the number of devices
    (:func:`jaxsim.core.ensemble.ensemble_keys`). Inside ``vmap`` the neighbour-list rebuild
    condition becomes a select, so every step pays for a rebuild; use large ``dt`` budgets
    accordingly. If any member overflows, every member runs again with grown capacities.

    Args:
        system: shared model, forces, space and ``dt``.
        init: ``init(key) -> state`` for one member.
        spec: neighbour settings (from :func:`jaxsim.active.neighbors.neighbor_spec`); required
            when the system has a pair potential.

    Raises:
        NonFiniteError: if a member's position becomes non-finite (the message names the member).
    """
    for name, value in (("n_members", n_members), ("n_steps", n_steps), ("snapshot_every", snapshot_every)):
        if not (isinstance(value, int) and value > 0):
            raise ValueError(f"{name} must be a positive integer, got {name}={value!r}.")
    for name, value in (("n_steps", n_steps), ("thermalize_steps", thermalize_steps)):
        if value % snapshot_every:
            raise ValueError(f"{name}={value} must be a multiple of snapshot_every={snapshot_every}.")
    if system.pair is not None and spec is None:
        raise ValueError("a system with a pair potential needs spec=; build one with neighbor_spec().")
    if system.pair is None:
        spec = None

    regrows = 0
    while True:
        out = ensemble_keys(_ensemble_member(init, spec, snapshot_every, thermalize_steps, n_steps), key, n_members,
                            system, devices=devices)
        overflow = np.asarray(out["overflow"])
        if spec is None or not overflow.any():
            break
        if regrows >= max_regrows:
            raise RuntimeError(f"the neighbour list still overflows after {regrows} capacity growths.")
        seen = NeighborList(
            indices=jnp.zeros((1, 1), jnp.int32), reference_positions=jnp.zeros((1, 1)), image_offsets=jnp.zeros((1, 1)),
            overflow=jnp.asarray(True), max_neighbors=jnp.max(out["max_neighbors"]),
            max_cell_occupancy=jnp.max(out["max_cell_occupancy"]), n_builds=jnp.asarray(0), spec=spec,
        )
        spec = grow(spec, seen, n=int(out["positions"].shape[2]))
        regrows += 1
    bad = np.asarray(out["bad_step"])
    if (bad >= 0).any():
        member = int(np.argmax(bad >= 0))
        raise NonFiniteError(int(bad[member]), int(np.asarray(out["bad_particle"])[member]), member)
    return EnsembleResult(out["positions"], out["state"], regrows, spec)


def _ensemble_member(init, spec, every, thermalize_steps, n_steps):
    def member(member_key, system):
        init_key, thermal_key, run_key = jax.random.split(member_key, 3)
        state = init(init_key)
        neighbors = None if spec is None else build(state.positions, system.space, spec)
        bad_step = jnp.asarray(-1, jnp.int32)
        bad_particle = jnp.asarray(-1, jnp.int32)
        if thermalize_steps:
            state, neighbors, health, _ = _segment(
                system, state, neighbors, thermal_key, jnp.asarray(0, jnp.int32),
                n_snapshots=thermalize_steps // every, every=every, record=False,
            )
            bad_step, bad_particle = health.bad_step, health.bad_particle
        state, neighbors, health, frames = _segment(
            system, state, neighbors, run_key, jnp.asarray(0, jnp.int32),
            n_snapshots=n_steps // every, every=every, record=True,
        )
        first_bad = bad_step >= 0
        out = {
            "positions": frames,
            "state": state,
            "bad_step": jnp.where(first_bad, bad_step, health.bad_step),
            "bad_particle": jnp.where(first_bad, bad_particle, health.bad_particle),
            "overflow": jnp.asarray(False) if neighbors is None else neighbors.overflow,
            "max_neighbors": jnp.asarray(0) if neighbors is None else neighbors.max_neighbors,
            "max_cell_occupancy": jnp.asarray(0) if neighbors is None else neighbors.max_cell_occupancy,
        }
        return out

    return member
