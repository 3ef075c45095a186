import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from helpers import TraceCounter

from jaxsim.roofline import (
    DEFAULT_TEMPERATURE,
    Hardware,
    arithmetic_intensity,
    attainable_flops,
    get_hardware,
    is_compute_bound,
    log_space_max,
    ridge_point,
    roofline_terms,
    roofline_time,
    stack_hardware,
)

A100 = get_hardware("a100-80gb")


def test_exact_roofline_at_zero_temperature():
    # 1 TFLOP and 1 GB on an A100: compute 1/312 s, memory 1/2039 s.
    t = roofline_time(1e12, 1e9, A100, temperature=0.0)
    assert float(t) == pytest.approx(1e12 / 312e12, rel=1e-6)
    t = roofline_time(1e9, 1e12, A100, temperature=0.0)
    assert float(t) == pytest.approx(1e12 / 2039e9, rel=1e-6)


def test_smooth_time_within_relative_bound():
    flops = jnp.logspace(6, 14, 41)
    tau = DEFAULT_TEMPERATURE
    exact = roofline_time(flops, 1e9, A100, temperature=0.0)
    smooth = roofline_time(flops, 1e9, A100, temperature=tau)
    ratio = np.asarray(smooth / exact)
    # The p-norm of two terms lies in [max, 2^tau max]; float32 rounding allows 1e-6 below.
    assert np.all(ratio >= 1 - 1e-6)
    assert np.all(ratio <= 2**tau * (1 + 1e-6))


def test_smooth_error_largest_at_ridge():
    ridge = float(ridge_point(A100))
    bytes_moved = 1e9
    t = roofline_time(ridge * bytes_moved, bytes_moved, A100, temperature=0.1)
    exact = bytes_moved / 2039e9
    assert float(t) / exact == pytest.approx(2**0.1, rel=1e-5)


def test_efficiencies_scale_terms():
    t_c, t_m = roofline_terms(1e12, 1e9, A100, compute_efficiency=0.5, memory_efficiency=0.25)
    assert float(t_c) == pytest.approx(2 / 312, rel=1e-6)
    assert float(t_m) == pytest.approx(4e9 / 2039e12 * 1e3, rel=1e-6)


def test_zero_flops_gradient_finite():
    t = roofline_time(0.0, 1e9, A100)
    assert float(t) == pytest.approx(1e9 / 2039e9, rel=1e-6)
    grads = jax.grad(lambda f, hw: roofline_time(f, 1e9, hw), argnums=(0, 1))(0.0, A100)
    assert np.isfinite(float(grads[0]))
    assert all(np.isfinite(float(leaf)) for leaf in jax.tree.leaves(grads[1]))


def test_log_space_max_all_zero_is_zero():
    assert float(log_space_max(0.0, 0.0)) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        log_space_max()


def test_gradients_match_finite_differences(x64):
    hw = Hardware("test", 1e12, 1e10, 1e9, 1e9, 1e-6)

    def f(params):
        chip = Hardware("test", params["peak"], params["bandwidth"], 1e9, 1e9, 1e-6)
        return roofline_time(
            params["flops"], params["bytes"], chip,
            compute_efficiency=params["eta_c"], memory_efficiency=params["eta_m"],
            temperature=params["tau"],
        )

    # Near the ridge point (intensity 100) so that both terms carry weight.
    params = {"flops": 1.2e11, "bytes": 1e9, "peak": float(hw.peak_flops), "bandwidth": float(hw.memory_bandwidth),
              "eta_c": 0.8, "eta_m": 0.9, "tau": 0.1}
    grads = jax.grad(f)(params)
    for name, value in params.items():
        # Central differences with a relative step of 1e-6 have O(h^2) truncation error of about
        # 1e-12 relative and rounding error of about 1e-16 / 1e-6 = 1e-10 relative in float64.
        h = 1e-6 * abs(value)
        up = dict(params, **{name: value + h})
        down = dict(params, **{name: value - h})
        fd = (f(up) - f(down)) / (2 * h)
        assert float(grads[name]) == pytest.approx(float(fd), rel=1e-6), name


def test_vmap_matches_loop():
    flops = jnp.array([1e9, 1e11, 1e13])
    bytes_moved = jnp.array([1e9, 1e9, 1e8])
    batched = jax.vmap(lambda f, b: roofline_time(f, b, A100))(flops, bytes_moved)
    looped = [float(roofline_time(f, b, A100)) for f, b in zip(flops, bytes_moved)]
    np.testing.assert_allclose(batched, looped, rtol=1e-6)


def test_vmap_over_stacked_hardware():
    chips = [get_hardware(n) for n in ["a100-80gb", "h100-sxm", "h200"]]
    stacked = stack_hardware(chips)
    times = jax.vmap(lambda hw: roofline_time(1e9, 1e9, hw, temperature=0.0))(stacked)
    # Memory-bound at intensity 1, so the time is 1e9 / bandwidth.
    np.testing.assert_allclose(times, [1e9 / 2039e9, 1e9 / 3350e9, 1e9 / 4800e9], rtol=1e-6)


def test_jit_traces_once_for_new_values():
    counter = TraceCounter(lambda f, b, hw: roofline_time(f, b, hw))
    jitted = jax.jit(counter)
    jitted(1e9, 1e9, A100)
    faster = eqx.tree_at(lambda hw: hw.peak_flops, A100, 2 * A100.peak_flops)
    jitted(2e9, 3e9, faster)
    assert counter.count == 1
    # The name is static, so another chip compiles once more.
    jitted(2e9, 3e9, get_hardware("h100-sxm"))
    assert counter.count == 2


def test_arithmetic_intensity_and_bound_classification():
    assert float(arithmetic_intensity(300.0, 2.0)) == 150.0
    ridge = float(ridge_point(A100))
    assert bool(is_compute_bound(2 * ridge, 1.0, A100))
    assert not bool(is_compute_bound(0.5 * ridge, 1.0, A100))
    assert float(ridge_point(A100, compute_efficiency=0.5)) == pytest.approx(ridge / 2, rel=1e-6)


def test_attainable_flops_is_roofline_curve():
    intensity = jnp.array([1.0, 10.0, 1000.0, 1e4])
    exact = attainable_flops(intensity, A100, temperature=0.0)
    expected = np.minimum(312e12, intensity * 2039e9)
    np.testing.assert_allclose(exact, expected, rtol=1e-6)
    smooth = attainable_flops(intensity, A100)
    assert np.all(np.asarray(smooth) <= expected * (1 + 1e-6))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"flops": -1.0}, "flops"),
        ({"bytes_moved": float("nan")}, "bytes_moved"),
        ({"compute_efficiency": 0.0}, "compute_efficiency"),
        ({"memory_efficiency": -0.5}, "memory_efficiency"),
        ({"temperature": -0.1}, "temperature"),
    ],
)
def test_bad_input_raises(kwargs, match):
    args = {"flops": 1e9, "bytes_moved": 1e9}
    args.update({k: v for k, v in kwargs.items() if k in args})
    options = {k: v for k, v in kwargs.items() if k not in args}
    with pytest.raises(ValueError, match=match):
        roofline_time(args["flops"], args["bytes_moved"], A100, **options)


def test_arithmetic_intensity_rejects_zero_bytes():
    with pytest.raises(ValueError, match="bytes_moved = 0"):
        arithmetic_intensity(1.0, 0.0)
    with pytest.raises(ValueError, match="intensity"):
        attainable_flops(0.0, A100)
