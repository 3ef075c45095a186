"""Snapshots of positions and self-propulsion from the active-particle driver, for training.

:func:`jaxsim.active.simulate.run` records positions only, while the score depends on the
propulsion ``g`` as well, so this module drives :func:`jaxsim.active.simulate.advance` in
segments of snapshots and records both. Like ``run`` it grows the neighbour-list
capacities and repeats a segment after an overflow, and it raises on a non-finite position.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from jaxsim.active.models import AOUPState, System
from jaxsim.active.neighbors import NeighborList, build, grow
from jaxsim.active.simulate import advance, allocate_for
from jaxsim.core.progress import progress_bar

__all__ = ["sample_aoup"]


@functools.partial(jax.jit, static_argnames=("n_snapshots", "every"))
def _segment(system: System, state: AOUPState, neighbors, key, start, *, n_snapshots: int, every: int):
    def one(carry, index):
        state, neighbors = carry
        state, neighbors = advance(system, state, neighbors, key, start + index * every, every)
        return (state, neighbors), (system.space.wrap(state.positions), state.propulsion)

    (state, neighbors), (positions, propulsion) = jax.lax.scan(one, (state, neighbors), jnp.arange(n_snapshots))
    return state, neighbors, positions, propulsion


def sample_aoup(
    system: System,
    state: AOUPState,
    key: PRNGKeyArray,
    n_snapshots: int,
    *,
    every: int,
    thermalize_steps: int = 0,
    segment_snapshots: int = 8,
    skin: float = 0.3,
    max_regrows: int = 8,
    progress: bool = True,
) -> tuple[Float[Array, "snapshots n d"], Float[Array, "snapshots n d"], AOUPState]:
    """Simulate AOUPs and record ``n_snapshots`` snapshots of positions and propulsion.

    Args:
        system: an AOUP system from :mod:`jaxsim.active.models`.
        state: initial state.
        key: PRNG key; thermalisation and recording use keys split from it.
        n_snapshots: snapshots to record.
        every: steps between snapshots; use at least the correlation time of the quantity of
            interest over ``dt`` so that snapshots are close to independent.
        thermalize_steps: steps run first and discarded (rounded up to whole segments).
        segment_snapshots: snapshots per compiled call.
        skin: neighbour-list skin.
        max_regrows: limit on neighbour capacity growths.
        progress: show a progress bar.

    Returns:
        ``(positions, propulsion, final_state)``; positions are wrapped into the box.

    Raises:
        ValueError: for a system that is not AOUP or non-positive counts.
        FloatingPointError: if a position becomes non-finite.
        RuntimeError: if the neighbour list overflows after ``max_regrows`` growths.
    """
    if not isinstance(state, AOUPState):
        raise ValueError(f"sample_aoup needs an AOUPState, got {type(state).__name__}.")
    if n_snapshots < 1 or every < 1 or segment_snapshots < 1 or thermalize_steps < 0:
        raise ValueError(
            f"n_snapshots, every and segment_snapshots must be >= 1 and thermalize_steps >= 0, got "
            f"{n_snapshots}, {every}, {segment_snapshots}, {thermalize_steps}."
        )
    neighbors: NeighborList | None = allocate_for(system, state.positions, skin=skin)
    thermal_key, record_key = jax.random.split(key)
    n = state.positions.shape[0]
    regrows = 0

    def run_segment(state, neighbors, seg_key, start, count):
        nonlocal regrows
        while True:
            out = _segment(system, state, neighbors, seg_key, jnp.asarray(start, jnp.int32), n_snapshots=count, every=every)
            if out[1] is None or not bool(out[1].overflow):
                break
            if regrows >= max_regrows:
                raise RuntimeError(f"the neighbour list still overflows after {regrows} capacity growths.")
            neighbors = build(state.positions, system.space, grow(neighbors.spec, out[1], n=n))
            regrows += 1
        if not np.isfinite(np.asarray(out[2])).all():
            snapshot, particle = np.argwhere(~np.isfinite(np.asarray(out[2])).all(-1))[0]
            raise FloatingPointError(
                f"position of particle {particle} became non-finite by step {start + (snapshot + 1) * every}; "
                "lower dt or the pair stiffness."
            )
        return out

    thermal_segments = -(-thermalize_steps // (every * segment_snapshots))
    record_segments = -(-n_snapshots // segment_snapshots)
    positions, propulsion = [], []
    with progress_bar("sampling AOUP snapshots", total=thermal_segments + record_segments) as step_bar:
        if not progress:
            step_bar = lambda n=1: None  # noqa: E731
        for segment in range(thermal_segments):
            start = segment * segment_snapshots * every
            state, neighbors, _, _ = run_segment(state, neighbors, thermal_key, start, segment_snapshots)
            step_bar()
        done = 0
        while done < n_snapshots:
            count = min(segment_snapshots, n_snapshots - done)
            state, neighbors, seg_positions, seg_propulsion = run_segment(
                state, neighbors, record_key, done * every, count
            )
            positions.append(np.asarray(seg_positions))
            propulsion.append(np.asarray(seg_propulsion))
            done += count
            step_bar()
    return jnp.asarray(np.concatenate(positions)), jnp.asarray(np.concatenate(propulsion)), state
