"""Kardashev index against hand-computed values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.technosphere import kardashev_index, power_from_kardashev


@pytest.mark.parametrize(
    ("power", "index"),
    [(1e6, 0.0), (1e16, 1.0), (1e26, 2.0), (1e36, 3.0), (1e11, 0.5), (4e12, (np.log10(4e12) - 6) / 10)],
)
def test_kardashev_index_values(power, index):
    assert float(kardashev_index(power)) == pytest.approx(index, abs=1e-6)


def test_kardashev_round_trip():
    indices = jnp.linspace(0.3, 3.2, 7)
    # float32 keeps about 7 digits of log10 P, so the round trip is exact to ~1e-6 in K.
    np.testing.assert_allclose(kardashev_index(power_from_kardashev(indices)), indices, atol=2e-6)


def test_kardashev_gradient_is_one_over_ten_ln10_p():
    power = 2e13
    grad = jax.grad(lambda p: kardashev_index(p))(power)
    assert float(grad) == pytest.approx(1.0 / (10.0 * np.log(10.0) * power), rel=1e-5)


def test_kardashev_jit_and_vmap():
    powers = jnp.array([1e16, 1e26])
    np.testing.assert_allclose(jax.jit(jax.vmap(kardashev_index))(powers), [1.0, 2.0], atol=1e-6)


@pytest.mark.parametrize("power", [0.0, -1.0, float("nan"), float("inf")])
def test_kardashev_rejects_bad_power(power):
    with pytest.raises(ValueError, match="power"):
        kardashev_index(power)


def test_power_from_kardashev_rejects_nan():
    with pytest.raises(ValueError, match="Kardashev index"):
        power_from_kardashev(float("nan"))
