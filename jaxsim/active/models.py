"""Active Ornstein-Uhlenbeck and active Brownian particles: states, ``init`` and one step each.

Active Ornstein-Uhlenbeck particles (AOUP; Martin et al. 2021, "Statistical mechanics of active
Ornstein-Uhlenbeck particles", Phys. Rev. E 103, 032607), with unit mobility:

    dx_i = (v0 g_i + F_i(x)) dt + sqrt(2 eps) dW_i,    dg_i = -gamma g_i dt + sqrt(2 gamma) dB_i,

so ``g`` has unit stationary covariance and persistence time ``1 / gamma``. The ``g`` update is the
exact Ornstein-Uhlenbeck transition ``g' = exp(-gamma dt) g + sqrt(1 - exp(-2 gamma dt)) eta`` and
``x`` uses Euler-Maruyama with ``g`` taken at the start of the step. ``eps = 0`` (noise only
through ``g``) is allowed.

Active Brownian particles (ABP; Fily and Marchetti 2012, "Athermal phase separation of
self-propelled particles with no alignment", Phys. Rev. Lett. 108, 235702), in two dimensions:

    dx_i = (v0 (cos theta_i, sin theta_i) + F_i(x)) dt + sqrt(2 Dt) dW_i,    dtheta_i = sqrt(2 Dr) dB_i,

with the exact Brownian increment for ``theta`` and Euler-Maruyama for ``x``. The force ``F``
(trap, pair repulsion, springs) comes from :class:`System`, which also holds the space and ``dt``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from jaxsim.active.forces import PairPotential, pair_forces, spring_forces, trap_forces
from jaxsim.active.neighbors import NeighborList
from jaxsim.active.noise import standard_normal
from jaxsim.active.space import Space

__all__ = ["ABP", "ABPState", "AOUP", "AOUPState", "System"]


def _concrete(value: ArrayLike) -> float | None:
    try:
        return float(value)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def _require(name: str, value: ArrayLike, *, positive: bool) -> None:
    concrete = _concrete(value)
    if concrete is None:
        return
    if positive and not concrete > 0:
        raise ValueError(f"{name} must be positive, got {name}={concrete}.")
    if not positive and not concrete >= 0:
        raise ValueError(f"{name} must be >= 0, got {name}={concrete}.")


def _check_positions(positions: Array, dim: int | None = None) -> None:
    if positions.ndim != 2:
        raise ValueError(f"positions must have shape (n, dim), got shape {positions.shape}.")
    if positions.shape[0] < 1:
        raise ValueError("positions must hold at least one particle, got 0.")
    if dim is not None and positions.shape[1] != dim:
        raise ValueError(f"positions must have shape (n, {dim}), got shape {positions.shape}.")


class AOUPState(eqx.Module):
    """State of AOUPs: positions ``x`` and propulsion directions ``g``, both of shape ``(n, d)``."""

    positions: Float[Array, "n d"]
    propulsion: Float[Array, "n d"]


class ABPState(eqx.Module):
    """State of ABPs: positions of shape ``(n, 2)`` and orientation angles ``theta`` of shape ``(n,)``."""

    positions: Float[Array, "n d"]
    angles: Float[Array, " n"]


class AOUP(eqx.Module):
    """Parameters of active Ornstein-Uhlenbeck particles.

    Attributes:
        v0: self-propulsion speed (length per time).
        gamma: inverse persistence time of ``g`` (per time), positive.
        eps: translational diffusion coefficient (length^2 per time), ``>= 0``.
    """

    v0: Float[Array, ""]
    gamma: Float[Array, ""]
    eps: Float[Array, ""]

    def __init__(self, v0: Float[ArrayLike, ""] = 1.0, gamma: Float[ArrayLike, ""] = 1.0, eps: Float[ArrayLike, ""] = 0.0):
        _require("gamma", gamma, positive=True)
        _require("eps", eps, positive=False)
        self.v0 = jnp.asarray(v0, float)
        self.gamma = jnp.asarray(gamma, float)
        self.eps = jnp.asarray(eps, float)

    def init(self, key: PRNGKeyArray, positions: Float[ArrayLike, "n d"]) -> AOUPState:
        """Start from ``positions`` with ``g`` drawn from its stationary law N(0, I)."""
        positions = jnp.asarray(positions, float)
        _check_positions(positions)
        return AOUPState(positions, jax.random.normal(key, positions.shape, positions.dtype))

    def step(self, state: AOUPState, forces: Float[Array, "n d"], key: PRNGKeyArray, dt: Float[ArrayLike, ""]) -> AOUPState:
        """Advance by ``dt`` given the deterministic ``forces`` at the start of the step."""
        noise = standard_normal(key, (2, *state.positions.shape), state.positions.dtype)
        drift = self.v0 * state.propulsion + forces
        positions = state.positions + drift * dt + jnp.sqrt(2.0 * self.eps * dt) * noise[0]
        decay = jnp.exp(-self.gamma * dt)
        propulsion = decay * state.propulsion + jnp.sqrt(1.0 - decay**2) * noise[1]
        return AOUPState(positions, propulsion)


class ABP(eqx.Module):
    """Parameters of two-dimensional active Brownian particles.

    Attributes:
        v0: self-propulsion speed (length per time).
        rotational_diffusion: ``Dr`` (per time), ``>= 0``; the persistence time is ``1 / Dr``.
        translational_diffusion: ``Dt`` (length^2 per time), ``>= 0``.
    """

    v0: Float[Array, ""]
    rotational_diffusion: Float[Array, ""]
    translational_diffusion: Float[Array, ""]

    def __init__(
        self,
        v0: Float[ArrayLike, ""] = 1.0,
        rotational_diffusion: Float[ArrayLike, ""] = 1.0,
        translational_diffusion: Float[ArrayLike, ""] = 0.0,
    ):
        _require("rotational_diffusion", rotational_diffusion, positive=False)
        _require("translational_diffusion", translational_diffusion, positive=False)
        self.v0 = jnp.asarray(v0, float)
        self.rotational_diffusion = jnp.asarray(rotational_diffusion, float)
        self.translational_diffusion = jnp.asarray(translational_diffusion, float)

    def init(self, key: PRNGKeyArray, positions: Float[ArrayLike, "n 2"]) -> ABPState:
        """Start from ``positions`` with angles drawn uniformly from ``[0, 2 pi)``."""
        positions = jnp.asarray(positions, float)
        _check_positions(positions, dim=2)
        angles = jax.random.uniform(key, positions.shape[:1], positions.dtype, maxval=2.0 * jnp.pi)
        return ABPState(positions, angles)

    def step(self, state: ABPState, forces: Float[Array, "n 2"], key: PRNGKeyArray, dt: Float[ArrayLike, ""]) -> ABPState:
        """Advance by ``dt`` given the deterministic ``forces`` at the start of the step."""
        n = state.positions.shape[0]
        noise = standard_normal(key, (n, 3), state.positions.dtype)
        heading = jnp.stack([jnp.cos(state.angles), jnp.sin(state.angles)], axis=-1)
        drift = self.v0 * heading + forces
        kick = jnp.sqrt(2.0 * self.translational_diffusion * dt) * noise[:, :2]
        positions = state.positions + drift * dt + kick
        angles = state.angles + jnp.sqrt(2.0 * self.rotational_diffusion * dt) * noise[:, 2]
        return ABPState(positions, angles)


class System(eqx.Module):
    """A model, its force field, its space and a time step: everything one step needs.

    Attributes:
        model: :class:`AOUP` or :class:`ABP` parameters.
        space: a periodic box or open space (static).
        dt: time step, positive.
        pair: pair repulsion, or None for non-interacting particles.
        trap_stiffness: ``A`` of the harmonic trap ``-A x`` (0 for none; open space only).
        spring_stiffness: ``k_s`` of zero-length springs between all pairs (0 for none; open space).
    """

    model: AOUP | ABP
    space: Space
    dt: Float[Array, ""]
    pair: PairPotential | None
    trap_stiffness: Float[Array, ""]
    spring_stiffness: Float[Array, ""]
    has_springs: bool = eqx.field(static=True)

    def __init__(
        self,
        model: AOUP | ABP,
        space: Space,
        dt: Float[ArrayLike, ""],
        *,
        pair: PairPotential | None = None,
        trap_stiffness: Float[ArrayLike, ""] = 0.0,
        spring_stiffness: Float[ArrayLike, ""] = 0.0,
    ):
        _require("dt", dt, positive=True)
        if isinstance(model, ABP) and space.dim != 2:
            raise ValueError(f"ABP is implemented in two dimensions, got a space with dim={space.dim}; use AOUP.")
        confining = [_concrete(trap_stiffness), _concrete(spring_stiffness)]
        if space.periodic and any(value not in (None, 0.0) for value in confining):
            raise ValueError(
                "a trap or all-pairs springs need open space, because they use plain positions; "
                f"got trap_stiffness={trap_stiffness}, spring_stiffness={spring_stiffness} in a periodic box."
            )
        self.model = model
        self.space = space
        self.dt = jnp.asarray(dt, float)
        self.pair = pair
        self.trap_stiffness = jnp.asarray(trap_stiffness, float)
        self.spring_stiffness = jnp.asarray(spring_stiffness, float)
        # Springs couple every particle to the sum of all positions, so they are left out when
        # known to be zero: one NaN position then stays attributable to its particle.
        self.has_springs = not space.periodic and confining[1] != 0.0

    def init(self, key: PRNGKeyArray, positions: Float[ArrayLike, "n d"]) -> AOUPState | ABPState:
        """Build the model's initial state at ``positions``."""
        positions = jnp.asarray(positions, float)
        _check_positions(positions, self.space.dim)
        return self.model.init(key, positions)

    def forces(self, positions: Float[Array, "n d"], neighbors: NeighborList | None) -> Float[Array, "n d"]:
        """Sum the trap, spring and pair forces; ``neighbors`` is required when ``pair`` is set."""
        forces = trap_forces(positions, self.trap_stiffness)
        if self.has_springs:
            forces = forces + spring_forces(positions, self.spring_stiffness)
        if self.pair is not None:
            if neighbors is None:
                raise ValueError("a system with a pair potential needs a neighbour list; pass neighbors=.")
            if neighbors.spec.cutoff < self.pair.cutoff:
                raise ValueError(
                    f"the neighbour list cutoff {neighbors.spec.cutoff} is below the pair cutoff "
                    f"{self.pair.cutoff}; allocate the list with cutoff={self.pair.cutoff}."
                )
            forces = forces + pair_forces(positions, self.space, neighbors, self.pair)
        return forces

    def step(
        self, state: AOUPState | ABPState, neighbors: NeighborList | None, key: PRNGKeyArray
    ) -> AOUPState | ABPState:
        """Advance ``state`` by one step ``dt`` with the neighbour list given (not updated here)."""
        return self.model.step(state, self.forces(state.positions, neighbors), key, self.dt)
