import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.quantum import (
    Hardware,
    classical_energy_lower,
    crossover_n,
    landauer_energy,
    log_energy_ratio,
    quantum_energy_upper,
)

FIELDS = ["gate_energy_j", "query_energy_j", "environment_temperature_k", "erasure_overhead",
          "refrigerator_efficiency", "success_probability"]


def test_landauer_at_room_temperature():
    # k_B * 300 K * ln 2 = 2.870978e-21 J with the exact SI value of k_B.
    assert float(landauer_energy(300.0)) == pytest.approx(2.870978e-21, rel=1e-6)


def test_classical_bound_grows_exponentially(x64):
    hw = Hardware()
    ratio = float(classical_energy_lower(62.0, hw) / classical_energy_lower(60.0, hw))
    # (q - 1) n with q ~ 2^(n/2): a factor 2 from 2^(2/2) times 62/60.
    assert ratio == pytest.approx(2 * 62 / 60, rel=1e-3)


def test_quantum_bound_grows_polynomially(x64):
    hw = Hardware()
    e = [float(quantum_energy_upper(n, hw)) for n in (100.0, 200.0, 400.0)]
    # E_Q ~ n^3 at large n, so doubling n multiplies it by at most 8; an exponential in n
    # would multiply it by 2^100 or more.
    assert e[1] / e[0] < 9
    assert e[2] / e[1] < 9


def test_crossover_is_root_of_energy_ratio(x64):
    hw = Hardware()
    n_star = float(crossover_n(hw))
    assert 2 < n_star < 4096
    assert abs(float(log_energy_ratio(n_star, hw))) < 1e-9


@pytest.mark.parametrize("field", FIELDS)
def test_crossover_gradient_matches_finite_difference(x64, field):
    hw = jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), Hardware())
    grad = jax.grad(crossover_n)(hw)
    value = getattr(hw, field)
    h = 1e-5 * float(value)

    def shifted(delta):
        return float(crossover_n(eqx.tree_at(lambda m: getattr(m, field), hw, value + delta)))

    fd = (shifted(h) - shifted(-h)) / (2 * h)
    # Central differences carry an O(h^2) truncation error, relative 1e-10 here, plus the
    # bisection's float64 resolution divided by h; 1e-5 relative covers both.
    assert float(getattr(grad, field)) == pytest.approx(fd, rel=1e-5, abs=1e-12 / h)


def test_no_crossover_is_infinite():
    hw = Hardware(gate_energy_j=1e30)
    assert np.isinf(float(crossover_n(hw, upper=100.0)))


@pytest.mark.parametrize(
    "kwargs,name",
    [({"qubit_temperature_k": 0.0}, "qubit_temperature_k"), ({"gate_energy_j": -1.0}, "gate_energy_j"),
     ({"success_probability": 1.0}, "success_probability"), ({"refrigerator_efficiency": 2.0}, "refrigerator")],
)
def test_bad_hardware_raises(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Hardware(**kwargs).check()
