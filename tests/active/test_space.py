"""Tests of the periodic box and open space."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.active import OpenSpace, PeriodicBox, box_side, max_packing_fraction, open_space, periodic_box


def test_box_side_matches_packing_formula():
    side = box_side(4096, 0.6, 0.5)
    assert side == pytest.approx(math.sqrt(4096 * math.pi * 0.25 / 0.6), rel=1e-12)
    # Packing fraction recovered from the side in 3-D.
    side3 = box_side(1000, 0.3, 1.0, dim=3)
    assert 1000 * 4 / 3 * math.pi / side3**3 == pytest.approx(0.3, rel=1e-12)


@pytest.mark.parametrize("phi", [0.0, -0.1, 0.91, 1.5, float("nan")])
def test_box_rejects_bad_packing_fraction(phi):
    with pytest.raises(ValueError, match="phi"):
        box_side(100, phi, 0.5)


def test_box_accepts_hexagonal_packing_limit():
    assert box_side(100, max_packing_fraction(2), 0.5) > 0


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_box_rejects_bad_particle_number(n):
    with pytest.raises(ValueError, match="n="):
        periodic_box(n, 0.5, 0.5)


@pytest.mark.parametrize("radius", [0.0, -1.0])
def test_box_rejects_bad_radius(radius):
    with pytest.raises(ValueError, match="radius"):
        periodic_box(10, 0.5, radius)


def test_space_rejects_bad_dim():
    with pytest.raises(ValueError, match="dim"):
        OpenSpace(dim=0)
    with pytest.raises(ValueError, match="side"):
        PeriodicBox(side=-1.0)
    with pytest.raises(ValueError, match="dim"):
        max_packing_fraction(4)


def test_minimum_image_is_shortest_image():
    box = PeriodicBox(side=10.0)
    a = jax.random.uniform(jax.random.key(0), (500, 2), minval=-30.0, maxval=30.0)
    b = jax.random.uniform(jax.random.key(1), (500, 2), minval=-30.0, maxval=30.0)
    delta = np.asarray(box.displacement(a, b))
    assert np.all(np.abs(delta) <= 5.0 + 1e-4)
    # The displacement differs from a - b by whole box sides.
    shift = (np.asarray(a) - np.asarray(b) - delta) / 10.0
    np.testing.assert_allclose(shift, np.round(shift), atol=1e-4)


def test_wrap_maps_into_box():
    box = PeriodicBox(side=3.0, dim=3)
    x = jnp.asarray([[-0.5, 3.5, 7.0]])
    np.testing.assert_allclose(box.wrap(x), [[2.5, 0.5, 1.0]], atol=1e-6)
    assert box.volume == pytest.approx(27.0)


def test_open_space_is_plain_difference():
    space = open_space(2)
    a = jnp.asarray([[100.0, -3.0]])
    b = jnp.asarray([[1.0, 1.0]])
    np.testing.assert_allclose(space.displacement(a, b), [[99.0, -4.0]])
    np.testing.assert_allclose(space.wrap(a), a)
    assert not space.periodic


def test_displacement_under_jit_vmap_grad():
    box = PeriodicBox(side=5.0)
    a = jnp.asarray([[4.9, 0.1]])
    b = jnp.asarray([[0.1, 4.9]])
    np.testing.assert_allclose(jax.jit(box.displacement)(a, b), [[-0.2, 0.2]], atol=1e-5)
    batched = jax.vmap(box.displacement)(jnp.stack([a, a]), jnp.stack([b, b]))
    assert batched.shape == (2, 1, 2)
    # Away from the half-box jump the displacement has unit derivative.
    grad = jax.grad(lambda x: box.displacement(x, b)[0, 0])(a)
    np.testing.assert_allclose(grad, [[1.0, 0.0]])
