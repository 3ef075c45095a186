"""Thermodynamic caps on turning stellar radiation into work at a working temperature.

A heat engine between a source at ``T_s`` and a sink at ``T`` has the Carnot efficiency

    eta_C = 1 - T / T_s.

Black-body radiation at ``T_s`` carries entropy as well as energy, and the maximum work per
unit of absorbed radiant energy, for a converter that re-emits at ``T``, is the Landsberg limit

    eta_L = 1 - (4/3) (T / T_s) + (1/3) (T / T_s)^4

(Landsberg and Tonge 1980, Thermodynamic energy conversion efficiencies, J. Appl. Phys. 51, R1).
``eta_L < eta_C`` for ``0 < T < T_s``. For sunlight (``T_s`` = 5772 K) and ``T`` = 300 K,
``eta_C`` = 0.948 and ``eta_L`` = 0.931.
"""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from jaxsim.technosphere import constants as tc
from jaxsim.technosphere._validation import check_at_most, check_positive, concrete

__all__ = ["carnot_efficiency", "landsberg_efficiency", "harvested_power"]


def _check_temperatures(temperature: ArrayLike, source_temperature: ArrayLike) -> None:
    check_positive("temperature", temperature, "K")
    check_positive("source_temperature", source_temperature, "K")
    cold, hot = concrete(temperature), concrete(source_temperature)
    if cold is not None and hot is not None and bool((cold >= hot).any()):
        raise ValueError(
            f"the working temperature {temperature!r} K must be below the source temperature "
            f"{source_temperature!r} K; no work can be extracted otherwise."
        )


def carnot_efficiency(
    temperature: Float[ArrayLike, "*batch"] = tc.T_WORKING.value,
    source_temperature: Float[ArrayLike, "*batch"] = tc.T_SUN.value,
) -> Float[Array, "*batch"]:
    """Compute the Carnot efficiency ``1 - T / T_s`` (dimensionless).

    Args:
        temperature: working (sink) temperature ``T`` in K, default 300 K.
        source_temperature: source temperature ``T_s`` in K, default the Sun's 5772 K.

    Raises:
        ValueError: for a concrete non-positive temperature or ``T >= T_s``.
    """
    _check_temperatures(temperature, source_temperature)
    return 1.0 - jnp.asarray(temperature) / jnp.asarray(source_temperature)


def landsberg_efficiency(
    temperature: Float[ArrayLike, "*batch"] = tc.T_WORKING.value,
    source_temperature: Float[ArrayLike, "*batch"] = tc.T_SUN.value,
) -> Float[Array, "*batch"]:
    """Compute the Landsberg limit ``1 - (4/3) x + (1/3) x^4`` with ``x = T / T_s`` (dimensionless).

    Arguments and errors are as for :func:`carnot_efficiency`.
    """
    _check_temperatures(temperature, source_temperature)
    x = jnp.asarray(temperature) / jnp.asarray(source_temperature)
    return 1.0 - 4.0 / 3.0 * x + x**4 / 3.0


def harvested_power(
    luminosity: Float[ArrayLike, "*batch"],
    efficiency: Float[ArrayLike, "*batch"],
    temperature: Float[ArrayLike, "*batch"] = tc.T_WORKING.value,
    source_temperature: Float[ArrayLike, "*batch"] = tc.T_SUN.value,
) -> Float[Array, "*batch"]:
    """Compute the work rate ``eta * L`` in W drawn from intercepted starlight ``L``.

    Args:
        luminosity: intercepted radiant power ``L`` in W.
        efficiency: conversion efficiency ``eta``; at most the Landsberg limit at the given
            temperatures.
        temperature, source_temperature: as for :func:`landsberg_efficiency`.

    Raises:
        ValueError: for a concrete non-positive luminosity or efficiency, or an efficiency
            above the Landsberg limit.
    """
    check_positive("luminosity", luminosity, "W")
    check_positive("efficiency", efficiency)
    cap = landsberg_efficiency(temperature, source_temperature)
    check_at_most("efficiency", efficiency, cap, "the Landsberg limit")
    return jnp.asarray(efficiency) * jnp.asarray(luminosity)
