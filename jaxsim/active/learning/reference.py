"""Exact stationary score and entropy production of linear active systems.

A linear SDE ``dz = M z dt + sqrt(2 D) dW`` with a stable drift matrix ``M`` has a Gaussian
stationary density ``N(0, Sigma)`` whose covariance solves the Lyapunov equation

    M Sigma + Sigma M^T + 2 D = 0.

Its score is ``s(z) = -Sigma^{-1} z``, its probability-flow velocity is
``v = M z - D s = (M + D Sigma^{-1}) z``, and its entropy production rate (EPR, in units of
k_B per unit time) is

    EPR = <v^T D^{-1} v> = tr(D^{-1} M Sigma M^T) + tr(M),

where the second form uses ``tr(D Sigma^{-1}) = -tr(M)`` from the Lyapunov equation. For
one active Ornstein-Uhlenbeck particle (AOUP) in a harmonic trap, per dimension,
``M = [[-A, v0], [0, -gamma]]`` and ``D = diag(eps, gamma)`` give
``EPR = gamma v0^2 / (eps (A + gamma))``.

The tethered lattice is a linear interacting system whose exact score is spatially local. Its
active particles are bound by springs of stiffness ``A`` to the sites of a periodic square
lattice and by springs of stiffness ``k`` to their nearest lattice neighbours.

Sources: C. W. Gardiner, *Stochastic Methods* (4th ed., 2009), section 4.5.6 (stationary
covariance of the multivariate Ornstein-Uhlenbeck process); N. M. Boffi and
E. Vanden-Eijnden, "Deep learning probability flows and entropy production rates in active
matter", arXiv:2309.12991 (2023), for the EPR of active particles as ``<v^T D^{-1} v>``.
"""

from __future__ import annotations

import itertools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from jaxsim.active.learning._lyapunov import solve_lyapunov

__all__ = [
    "GaussianReference",
    "TetheredLattice",
    "aoup_trap_entropy_production",
    "aoup_trap_reference",
    "linear_reference",
    "tethered_lattice",
]


class GaussianReference(eqx.Module):
    """Stationary Gaussian density of the linear SDE ``dz = M z dt + sqrt(2 D) dW``.

    Attributes:
        drift_matrix: ``M``, shape ``(m, m)``, units 1/time.
        diffusion: ``D``, shape ``(m, m)``, symmetric positive definite.
        covariance: ``Sigma`` from the Lyapunov equation, shape ``(m, m)``.
        precision: ``Sigma^{-1}``, shape ``(m, m)``.
    """

    drift_matrix: Float[Array, "m m"]
    diffusion: Float[Array, "m m"]
    covariance: Float[Array, "m m"]
    precision: Float[Array, "m m"]

    def score(self, z: Float[Array, "*batch m"]) -> Float[Array, "*batch m"]:
        """Evaluate the exact score ``-Sigma^{-1} z``."""
        return -z @ self.precision.T

    def velocity(self, z: Float[Array, "*batch m"]) -> Float[Array, "*batch m"]:
        """Evaluate the probability-flow velocity ``v = M z - D s(z)``."""
        return z @ self.drift_matrix.T - self.score(z) @ self.diffusion.T

    def entropy_production(self) -> Float[Array, ""]:
        """Return the exact EPR ``tr(D^{-1} M Sigma M^T) + tr(M)``."""
        m = self.drift_matrix
        return jnp.trace(jnp.linalg.solve(self.diffusion, m @ self.covariance @ m.T)) + jnp.trace(m)

    def sample(self, key: PRNGKeyArray, n_samples: int) -> Float[Array, "samples m"]:
        """Draw ``n_samples`` exact samples of the stationary density."""
        chol = jnp.linalg.cholesky(self.covariance)
        noise = jax.random.normal(key, (n_samples, self.covariance.shape[0]), self.covariance.dtype)
        return noise @ chol.T


def linear_reference(drift_matrix: Float[Array, "m m"], diffusion: Float[Array, "m m"]) -> GaussianReference:
    """Build the exact stationary Gaussian of ``dz = M z dt + sqrt(2 D) dW``.

    Args:
        drift_matrix: ``M``, shape ``(m, m)``; every eigenvalue needs a negative real part.
        diffusion: ``D``, shape ``(m, m)``, symmetric positive definite. A singular ``D``
            (noise in only some components) has an infinite EPR in this formula, so it is
            rejected.

    Raises:
        ValueError: for shapes that do not match, a singular or indefinite ``D``, or an
            unstable ``M``.
    """
    m = np.asarray(drift_matrix, dtype=np.float64)
    d = np.asarray(diffusion, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or d.shape != m.shape:
        raise ValueError(
            f"drift matrix and diffusion must be square with equal shapes, got {m.shape} and {d.shape}."
        )
    eig_d = np.linalg.eigvalsh(0.5 * (d + d.T))
    if eig_d.min() <= 0:
        raise ValueError(
            f"diffusion must be positive definite, got smallest eigenvalue {eig_d.min():.3g}; "
            "the EPR <v^T D^-1 v> is infinite when some component has no noise."
        )
    max_real = np.linalg.eigvals(m).real.max()
    if max_real >= 0:
        raise ValueError(
            f"drift matrix is not stable (largest eigenvalue real part {max_real:.3g}); "
            "a stationary density needs every eigenvalue of M in the left half plane."
        )
    sigma = np.asarray(solve_lyapunov(m, d))
    sigma = 0.5 * (sigma + sigma.T)
    precision = np.linalg.inv(sigma)
    precision = 0.5 * (precision + precision.T)
    dtype = jnp.asarray(drift_matrix).dtype
    as_array = lambda a: jnp.asarray(a, dtype=dtype)  # noqa: E731
    return GaussianReference(as_array(m), as_array(d), as_array(sigma), as_array(precision))


def aoup_trap_reference(v0: float, gamma: float, eps: float, stiffness: float) -> GaussianReference:
    """Build the exact reference of one AOUP in a harmonic trap, for one dimension.

    The state is ``z = (x, g)`` with ``dx = (v0 g - A x) dt + sqrt(2 eps) dW`` and
    ``dg = -gamma g dt + sqrt(2 gamma) dB``.
    """
    _check_aoup(v0, gamma, eps, stiffness)
    m = jnp.array([[-stiffness, v0], [0.0, -gamma]])
    d = jnp.diag(jnp.array([eps, gamma]))
    return linear_reference(m, d)


def aoup_trap_entropy_production(v0: float, gamma: float, eps: float, stiffness: float) -> float:
    """Return the EPR ``gamma v0^2 / (eps (A + gamma))`` of one trapped AOUP, per dimension."""
    _check_aoup(v0, gamma, eps, stiffness)
    return gamma * v0**2 / (eps * (stiffness + gamma))


def _check_aoup(v0: float, gamma: float, eps: float, stiffness: float) -> None:
    if gamma <= 0:
        raise ValueError(f"gamma must be > 0, got {gamma}.")
    if eps <= 0:
        raise ValueError(f"eps must be > 0 for a finite EPR, got {eps}.")
    if stiffness <= 0:
        raise ValueError(f"trap stiffness A must be > 0 for a stationary density, got {stiffness}.")
    if not np.isfinite(v0):
        raise ValueError(f"v0 must be finite, got {v0}.")


class TetheredLattice(eqx.Module):
    """Active particles tethered to the sites of a periodic square lattice.

    Each particle ``i`` sits at ``x_i = site_i + u_i`` and follows

        du_i = (v0 g_i - A u_i + k sum_{j nn i} (u_j - u_i)) dt + sqrt(2 eps) dW_i,
        dg_i = -gamma g_i dt + sqrt(2 gamma) dB_i,

    with ``j`` over the ``2 d`` nearest lattice neighbours. The Cartesian components
    decouple, so one ``(2 n, 2 n)`` reference per dimension covers the system; its state is
    ordered ``(u_0, g_0, u_1, g_1, ...)``.

    Attributes:
        sites: lattice sites, shape ``(n, d)``, in ``[0, box_size)``.
        box_size: side of the periodic box, ``n_side * spacing``.
        reference: exact Gaussian of one Cartesian component, size ``2 n``.
        v0, gamma, eps, stiffness, spring: the model parameters.
    """

    sites: Float[Array, "n d"]
    box_size: float = eqx.field(static=True)
    reference: GaussianReference
    v0: float = eqx.field(static=True)
    gamma: float = eqx.field(static=True)
    eps: float = eqx.field(static=True)
    stiffness: float = eqx.field(static=True)
    spring: float = eqx.field(static=True)

    @property
    def n_particles(self) -> int:
        return self.sites.shape[0]

    @property
    def dim(self) -> int:
        return self.sites.shape[1]

    def entropy_production(self) -> Float[Array, ""]:
        """Return the exact total EPR of the system (all particles and dimensions)."""
        return self.dim * self.reference.entropy_production()

    def entropy_production_parts(self) -> tuple[Float[Array, ""], Float[Array, ""]]:
        """Return the exact EPR split into its position and propulsion parts ``(x, g)``.

        With ``V = M + D Sigma^{-1}`` (so that ``v = V z``), the part of the components ``A``
        is ``tr(D_A^{-1} V_A Sigma V_A^T)``, with ``V_A`` the rows of ``V`` in ``A``. The two
        parts sum to :meth:`entropy_production`.
        """
        ref = self.reference
        velocity = ref.drift_matrix + ref.diffusion @ ref.precision
        flux = velocity @ ref.covariance @ velocity.T
        per_component = jnp.diagonal(flux) / jnp.diagonal(ref.diffusion)
        return self.dim * jnp.sum(per_component[0::2]), self.dim * jnp.sum(per_component[1::2])

    def sample(
        self, key: PRNGKeyArray, n_samples: int
    ) -> tuple[Float[Array, "samples n d"], Float[Array, "samples n d"], Float[Array, "samples n d"]]:
        """Draw exact stationary samples.

        Returns:
            ``(positions, propulsion, displacement)``: wrapped positions ``site + u`` in the
            box, self-propulsion ``g``, and the tether displacement ``u``; each of shape
            ``(n_samples, n, d)``.
        """
        z = self.reference.sample(key, n_samples * self.dim)
        z = z.reshape(n_samples, self.dim, self.n_particles, 2).transpose(0, 2, 1, 3)
        u, g = z[..., 0], z[..., 1]
        positions = jnp.mod(self.sites + u, self.box_size)
        return positions, g, u

    def drift(
        self, displacement: Float[Array, "*batch n d"], propulsion: Float[Array, "*batch n d"]
    ) -> tuple[Float[Array, "*batch n d"], Float[Array, "*batch n d"]]:
        """Evaluate the drift ``(b_x, b_g)`` at tether displacements ``u`` and propulsion ``g``."""
        z = self._stack(displacement, propulsion)
        b = z @ self.reference.drift_matrix.T
        return self._unstack(b)

    def score(
        self, displacement: Float[Array, "*batch n d"], propulsion: Float[Array, "*batch n d"]
    ) -> tuple[Float[Array, "*batch n d"], Float[Array, "*batch n d"]]:
        """Evaluate the exact score ``(s_x, s_g)``."""
        return self._unstack(self.reference.score(self._stack(displacement, propulsion)))

    def _stack(self, u: Array, g: Array) -> Array:
        # (..., n, d) twice -> (..., d, 2 n) in the order (u_0, g_0, u_1, g_1, ...).
        z = jnp.stack([u, g], axis=-1)
        z = jnp.swapaxes(z, -3, -2)
        return z.reshape(z.shape[:-2] + (2 * self.n_particles,))

    def _unstack(self, z: Array) -> tuple[Array, Array]:
        z = z.reshape(z.shape[:-1] + (self.n_particles, 2))
        z = jnp.swapaxes(z, -3, -2)
        return z[..., 0], z[..., 1]


def tethered_lattice(
    n_side: int,
    dim: int = 2,
    *,
    spacing: float = 1.0,
    v0: float = 1.0,
    gamma: float = 1.0,
    eps: float = 0.5,
    stiffness: float = 1.0,
    spring: float = 0.5,
) -> TetheredLattice:
    """Build a tethered lattice of ``n_side**dim`` particles and its exact reference.

    Args:
        n_side: sites per side (>= 3, so that the ``2 d`` nearest neighbours are distinct).
        dim: spatial dimension ``d``.
        spacing: lattice constant; the box side is ``n_side * spacing``.
        v0: self-propulsion speed.
        gamma: inverse persistence time of ``g`` (1/time).
        eps: translational diffusion coefficient (> 0 for a finite EPR).
        stiffness: tether stiffness ``A`` (> 0 for a stationary density).
        spring: nearest-neighbour spring stiffness ``k`` (>= 0).

    Raises:
        ValueError: for a non-positive size, rate or stiffness, or ``n_side < 3``.
    """
    if n_side < 3:
        raise ValueError(f"n_side must be >= 3 so that lattice neighbours are distinct, got {n_side}.")
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}.")
    if spacing <= 0:
        raise ValueError(f"spacing must be > 0, got {spacing}.")
    if spring < 0:
        raise ValueError(f"spring stiffness must be >= 0, got {spring}.")
    _check_aoup(v0, gamma, eps, stiffness)

    grid = np.array(list(itertools.product(range(n_side), repeat=dim)))
    n = grid.shape[0]
    index = {tuple(c): i for i, c in enumerate(grid)}
    m = np.zeros((2 * n, 2 * n))
    for i, cell in enumerate(grid):
        xi, gi = 2 * i, 2 * i + 1
        m[xi, xi] -= stiffness
        m[xi, gi] += v0
        m[gi, gi] -= gamma
        for axis in range(dim):
            for step in (-1, 1):
                neighbour = cell.copy()
                neighbour[axis] = (neighbour[axis] + step) % n_side
                j = index[tuple(neighbour)]
                m[xi, xi] -= spring
                m[xi, 2 * j] += spring
    d = np.diag(np.tile([eps, gamma], n))
    reference = linear_reference(jnp.asarray(m, dtype=float), jnp.asarray(d, dtype=float))
    sites = jnp.asarray(grid * spacing, dtype=float)
    return TetheredLattice(
        sites=sites,
        box_size=float(n_side * spacing),
        reference=reference,
        v0=float(v0),
        gamma=float(gamma),
        eps=float(eps),
        stiffness=float(stiffness),
        spring=float(spring),
    )
