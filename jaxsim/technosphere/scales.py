"""Kardashev index of a power, after Sagan's continuous interpolation.

Sagan (1973), *The Cosmic Connection: An Extraterrestrial Perspective*, interpolated
Kardashev's three types with

    K = (log10 P - 6) / 10,        P in watts,

so that K = 1 at 1e16 W, K = 2 at 1e26 W and K = 3 at 1e36 W. Kardashev (1964) placed his
types at about 4e12 W, 4e26 W and 4e37 W; Sagan's formula puts round powers of ten on them.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere._validation import check_finite, check_positive

__all__ = ["kardashev_index", "power_from_kardashev"]


def kardashev_index(power: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
    """Compute Sagan's Kardashev index ``K = (log10 P - 6) / 10`` of a power ``P`` in watts.

    Raises:
        ValueError: for a concrete power that is not positive or not finite.
    """
    check_positive("power", power, "W")
    return (jnp.log10(jnp.asarray(power)) - 6.0) / 10.0


def power_from_kardashev(index: Float[ArrayLike, "*batch"]) -> Float[Array, "*batch"]:
    """Return the power ``P = 10 ** (10 K + 6)`` in watts of a Kardashev index ``K``.

    Raises:
        ValueError: for a concrete index that is NaN or infinite.
    """
    check_finite("Kardashev index", index)
    return 10.0 ** (10.0 * jnp.asarray(index) + 6.0)
