"""Simulation domains: a periodic box with minimum-image displacements, and open space.

A periodic box of side ``L`` holding ``N`` disks (or balls) of radius ``r`` at packing fraction
``phi`` has

    L = (N * V_d(r) / phi) ** (1 / d),    V_d(r) = pi ** (d / 2) / Gamma(d / 2 + 1) * r ** d,

so that in two dimensions ``L = sqrt(N * pi * r**2 / phi)``. The minimum-image displacement of
``a`` from ``b`` is ``a - b - L * round((a - b) / L)``, valid for positions that are not wrapped
into the box (so trajectories can stay unwrapped for mean squared displacements).

The box side is a static field: it fixes the cell grid of the neighbour list, which is an array
shape, so a new side compiles new code, while positions and force parameters stay traced.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

__all__ = [
    "OpenSpace",
    "PeriodicBox",
    "Space",
    "ball_volume",
    "box_side",
    "max_packing_fraction",
    "open_space",
    "periodic_box",
]

# Densest packings of equal balls: the segment (d = 1), the hexagonal lattice, pi / (2 sqrt 3)
# (Thue 1910; Fejes Toth 1940), and the face-centred cubic lattice, pi / (3 sqrt 2) (Hales 2005,
# "A proof of the Kepler conjecture", Annals of Mathematics 162).
_MAX_PACKING = {1: 1.0, 2: math.pi / (2.0 * math.sqrt(3.0)), 3: math.pi / (3.0 * math.sqrt(2.0))}


def max_packing_fraction(dim: int) -> float:
    """Return the densest packing fraction of equal balls in ``dim`` = 1, 2 or 3 dimensions."""
    if dim not in _MAX_PACKING:
        raise ValueError(f"dim must be 1, 2 or 3 for a packing fraction, got dim={dim}.")
    return _MAX_PACKING[dim]


def ball_volume(radius: float, dim: int) -> float:
    """Return the volume ``pi**(d/2) / Gamma(d/2 + 1) * r**d`` of a ``dim``-ball of ``radius``."""
    return math.pi ** (dim / 2) / math.gamma(dim / 2 + 1) * radius**dim


def box_side(n: int, phi: float, radius: float, dim: int = 2) -> float:
    """Return the side ``L = (n V_d(radius) / phi) ** (1/d)`` of a box at packing fraction ``phi``.

    Raises:
        ValueError: if ``n`` or ``radius`` is not positive, or ``phi`` is outside
            ``(0, max_packing_fraction(dim)]`` (0.9069 in two dimensions).
    """
    if not (isinstance(n, int) and n > 0):
        raise ValueError(f"the particle number n must be a positive integer, got n={n!r}.")
    if not radius > 0:
        raise ValueError(f"the particle radius must be positive, got radius={radius}.")
    limit = max_packing_fraction(dim)
    if not 0 < phi <= limit:
        raise ValueError(
            f"the packing fraction phi must lie in (0, {limit:.4f}] in {dim} dimensions, got phi={phi}; "
            "denser systems of equal disks do not exist."
        )
    return (n * ball_volume(radius, dim) / phi) ** (1.0 / dim)


class PeriodicBox(eqx.Module):
    """A periodic cube ``[0, side)^dim`` with minimum-image displacements.

    Attributes:
        side: box side ``L`` in length units (static: it fixes the cell grid).
        dim: number of spatial dimensions.
    """

    side: float = eqx.field(static=True)
    dim: int = eqx.field(static=True, default=2)

    def __check_init__(self):
        if not self.side > 0:
            raise ValueError(f"the box side must be positive, got side={self.side}.")
        if not (isinstance(self.dim, int) and self.dim >= 1):
            raise ValueError(f"dim must be a positive integer, got dim={self.dim!r}.")

    @property
    def periodic(self) -> bool:
        return True

    @property
    def volume(self) -> float:
        return self.side**self.dim

    def displacement(self, a: Float[ArrayLike, "... d"], b: Float[ArrayLike, "... d"]) -> Float[Array, "... d"]:
        """Return the minimum-image displacement ``a - b``, each component in ``[-L/2, L/2]``."""
        delta = jnp.asarray(a) - jnp.asarray(b)
        return delta - self.side * jnp.round(delta / self.side)

    def wrap(self, positions: Float[ArrayLike, "... d"]) -> Float[Array, "... d"]:
        """Map positions into ``[0, L)`` in every component."""
        return jnp.mod(jnp.asarray(positions), self.side)

    def wrapped_displacement(self, a: Float[Array, "... d"], b: Float[Array, "... d"]) -> Float[Array, "... d"]:
        """Return the minimum-image ``a - b`` for positions within half a box of ``[0, L]``.

        Equal to :meth:`displacement` for components of ``a - b`` within ``(-1.5 L, 1.5 L)``. It is
        built from compares and selects, which XLA vectorises on CPU, whereas ``round`` and
        ``floor`` run element by element there. The pair kernels use it on shifted positions.
        """
        delta = a - b
        half = 0.5 * self.side
        return jnp.where(delta > half, delta - self.side, jnp.where(delta < -half, delta + self.side, delta))


class OpenSpace(eqx.Module):
    """Unbounded space for trapped systems: plain displacements, no wrapping.

    Attributes:
        dim: number of spatial dimensions.
    """

    dim: int = eqx.field(static=True, default=2)

    def __check_init__(self):
        if not (isinstance(self.dim, int) and self.dim >= 1):
            raise ValueError(f"dim must be a positive integer, got dim={self.dim!r}.")

    @property
    def periodic(self) -> bool:
        return False

    def displacement(self, a: Float[ArrayLike, "... d"], b: Float[ArrayLike, "... d"]) -> Float[Array, "... d"]:
        """Return the displacement ``a - b``."""
        return jnp.asarray(a) - jnp.asarray(b)

    def wrap(self, positions: Float[ArrayLike, "... d"]) -> Float[Array, "... d"]:
        """Return the positions unchanged."""
        return jnp.asarray(positions)

    def wrapped_displacement(self, a: Float[Array, "... d"], b: Float[Array, "... d"]) -> Float[Array, "... d"]:
        """Return the displacement ``a - b``."""
        return a - b


Space = PeriodicBox | OpenSpace


def periodic_box(n: int, phi: float, radius: float, dim: int = 2) -> PeriodicBox:
    """Build the periodic box that contains ``n`` balls of ``radius`` at packing fraction ``phi``.

    Raises:
        ValueError: as :func:`box_side`.
    """
    return PeriodicBox(side=box_side(n, phi, radius, dim), dim=dim)


def open_space(dim: int = 2) -> OpenSpace:
    """Build an unbounded ``dim``-dimensional space."""
    return OpenSpace(dim=dim)
