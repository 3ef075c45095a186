"""Tests of the trap, spring and pair forces."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active import (
    allocate,
    open_space,
    pair_forces,
    pair_forces_dense,
    periodic_box,
    soft_disks,
    spring_forces,
    trap_forces,
    wca_disks,
)


def _soft_energy(positions, box, strength, radius):
    delta = box.displacement(positions[:, None, :], positions[None, :, :])
    n = positions.shape[0]
    distance = jnp.sqrt(jnp.sum(delta**2, axis=-1) + jnp.eye(n))
    overlap = jnp.maximum(2 * radius - distance, 0.0) * (1 - jnp.eye(n))
    return 0.25 * strength * jnp.sum(overlap**2)


def _wca_energy(positions, box, epsilon, radius):
    delta = box.displacement(positions[:, None, :], positions[None, :, :])
    n = positions.shape[0]
    distance = jnp.sqrt(jnp.sum(delta**2, axis=-1) + jnp.eye(n))
    sigma = 2 * radius
    cutoff = 2 ** (1 / 6) * sigma
    inside = (distance < cutoff) & ~jnp.eye(n, dtype=bool)
    safe = jnp.where(inside, distance, cutoff)
    energy = 4 * epsilon * ((sigma / safe) ** 12 - (sigma / safe) ** 6) + epsilon
    return 0.5 * jnp.sum(jnp.where(inside, energy, 0.0))


@pytest.fixture(scope="module")
def dense_system():
    box = periodic_box(200, 0.7, 0.5)
    positions = jax.random.uniform(jax.random.key(0), (200, 2), maxval=box.side)
    return box, positions


@pytest.mark.parametrize(
    "potential", [soft_disks(2.0, 0.5), soft_disks(2.0, 0.5, beta=8.0), wca_disks(1.0, 0.5)], ids=str
)
def test_neighbor_forces_equal_dense(dense_system, potential):
    box, positions = dense_system
    # WCA diverges for overlapping disks, so they start at least 0.9 sigma apart on a lattice.
    if potential.kind == "wca":
        grid = jnp.stack(jnp.meshgrid(jnp.arange(14), jnp.arange(14)), -1).reshape(-1, 2)[:190]
        positions = grid * (box.side / 14) + 0.1 * jax.random.normal(jax.random.key(1), (190, 2))
    dense = pair_forces_dense(positions, box, potential)
    for format in ("rows", "pairs"):
        neighbors = allocate(positions, box, potential.cutoff, 0.2, format=format)
        listed = pair_forces(positions, box, neighbors, potential)
        np.testing.assert_allclose(listed, dense, rtol=1e-5, atol=1e-5)
    # Pair forces are antisymmetric, so the total force vanishes up to float32 rounding.
    scale = float(jnp.sum(jnp.abs(dense)))
    assert float(jnp.max(jnp.abs(jnp.sum(listed, axis=0)))) < 1e-5 * scale


def test_soft_force_is_minus_energy_gradient(dense_system):
    box, positions = dense_system
    expected = -jax.grad(_soft_energy)(positions, box, 2.0, 0.5)
    np.testing.assert_allclose(pair_forces_dense(positions, box, soft_disks(2.0, 0.5)), expected, rtol=1e-4, atol=1e-5)


def test_wca_force_is_minus_energy_gradient():
    box = periodic_box(2, 0.05, 0.5)
    positions = jnp.asarray([[1.0, 1.0], [1.95, 1.3]])
    expected = -jax.grad(_wca_energy)(positions, box, 1.5, 0.5)
    np.testing.assert_allclose(pair_forces_dense(positions, box, wca_disks(1.5, 0.5)), expected, rtol=1e-5)


def test_softplus_tends_to_harmonic_overlap():
    distance = jnp.asarray([0.6, 0.9, 1.0, 1.01, 1.2])
    exact = soft_disks(3.0, 0.5).magnitude(distance)
    np.testing.assert_allclose(exact, 3.0 * np.maximum(1.0 - np.asarray(distance), 0.0), atol=1e-6)
    errors = [float(jnp.max(jnp.abs(soft_disks(3.0, 0.5, beta=b).magnitude(distance) - exact))) for b in (50.0, 500.0)]
    # The largest gap, log(2) k / beta at contact, shrinks as 1 / beta.
    assert errors[0] == pytest.approx(3.0 * math.log(2) / 50.0, rel=0.05)
    assert errors[1] < errors[0] / 9


def test_soft_cutoff_follows_tail():
    potential = soft_disks(1.0, 0.5, beta=10.0, tail=1e-4)
    assert potential.cutoff == pytest.approx(1.0 + math.log(1e3) / 10.0)
    # The force at the cutoff is below tail * k.
    assert float(jax.nn.softplus(10.0 * (1.0 - potential.cutoff)) / 10.0) <= 1e-4
    assert wca_disks(1.0, 0.5).cutoff == pytest.approx(2 ** (1 / 6))


def test_trap_and_spring_forces():
    positions = jax.random.normal(jax.random.key(2), (6, 2))
    np.testing.assert_allclose(trap_forces(positions, 2.0), -2.0 * positions)
    springs = spring_forces(positions, 0.5)
    expected = -0.5 * jnp.sum(positions[:, None, :] - positions[None, :, :], axis=1)
    np.testing.assert_allclose(springs, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jnp.sum(springs, axis=0), 0.0, atol=1e-5)


def test_force_gradient_matches_finite_differences(x64):
    box = periodic_box(30, 0.6, 0.5)
    positions = jax.random.uniform(jax.random.key(3), (30, 2), maxval=box.side, dtype=jnp.float64)

    def loss(strength, radius):
        potential = soft_disks(strength, radius, beta=20.0, cutoff=1.5)
        return jnp.sum(pair_forces_dense(positions, box, potential) ** 2)

    grad = jax.grad(loss, argnums=(0, 1))(1.3, 0.5)
    step = 1e-6
    central_k = (loss(1.3 + step, 0.5) - loss(1.3 - step, 0.5)) / (2 * step)
    central_r = (loss(1.3, 0.5 + step) - loss(1.3, 0.5 - step)) / (2 * step)
    np.testing.assert_allclose(grad[0], central_k, rtol=1e-6)
    np.testing.assert_allclose(grad[1], central_r, rtol=1e-5)


def test_forces_under_vmap_with_coincident_particles():
    space = open_space(2)
    positions = jnp.zeros((2, 3, 2)).at[:, 1, 0].set(0.5)
    forces = jax.vmap(lambda x: pair_forces_dense(x, space, soft_disks(1.0, 0.5)))(positions)
    assert bool(jnp.all(jnp.isfinite(forces)))
    # Coincident particles 0 and 2 exert no force on each other (no direction), only particle 1 pushes.
    np.testing.assert_allclose(forces[0, 1], [1.0, 0.0], atol=1e-6)


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: soft_disks(0.0, 0.5), "strength"),
        (lambda: soft_disks(1.0, -0.5), "radius"),
        (lambda: soft_disks(1.0, 0.5, beta=0.0), "beta"),
        (lambda: soft_disks(1.0, 0.5, beta=5.0, tail=2.0), "tail"),
        (lambda: wca_disks(-1.0, 0.5), "epsilon"),
        (lambda: wca_disks(1.0, 0.0), "radius"),
    ],
)
def test_bad_potential_parameters_raise(build, match):
    with pytest.raises(ValueError, match=match):
        build()
