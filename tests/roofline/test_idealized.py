import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.roofline import (
    IdealizedRuntime,
    accelerator_seconds,
    energy_per_token,
    fit_idealized_runtime,
    get_hardware,
    idealized_runtime,
    interpolate_prompt_cost,
    price_per_token,
)

BUCKETS = np.array([1.0, 256.0, 512.0, 1024.0, 1536.0, 1920.0])
COSTS = np.array([0.023, 0.025, 0.042, 0.076, 0.113, 0.142])


def truth(overhead=0.0, first=None):
    costs = COSTS.copy()
    if first is not None:
        costs[0] = first
    return IdealizedRuntime(jnp.asarray(BUCKETS), jnp.asarray(costs), jnp.asarray(0.021), jnp.asarray(overhead))


def test_interpolation_exact_at_buckets_and_linear_between():
    np.testing.assert_allclose(interpolate_prompt_cost(BUCKETS, BUCKETS, COSTS), COSTS, rtol=1e-6)
    midpoint = float(interpolate_prompt_cost(768.0, BUCKETS, COSTS))
    assert midpoint == pytest.approx((0.042 + 0.076) / 2, rel=1e-6)
    # Beyond the last bucket the last segment is extended.
    slope = (0.142 - 0.113) / (1920 - 1536)
    assert float(interpolate_prompt_cost(2048.0, BUCKETS, COSTS)) == pytest.approx(0.142 + 128 * slope, rel=1e-5)


def test_idealized_runtime_formula():
    value = idealized_runtime(truth(), 1920.0, 101.0)
    assert float(value) == pytest.approx(0.142 + 100 * 0.021, rel=1e-6)
    with pytest.raises(ValueError, match="output_tokens"):
        idealized_runtime(truth(), 10.0, 0.0)
    with pytest.raises(ValueError, match="prompt_tokens"):
        idealized_runtime(truth(), 0.0, 5.0)


def synthetic(coefficients, n=300, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    prompt = rng.integers(1, 1921, n).astype(float)
    output = rng.integers(1, 150, n).astype(float)
    runtime = np.asarray(idealized_runtime(coefficients, prompt, output), dtype=float)
    # Additive noise of ``noise`` seconds: the homoscedastic case that least squares assumes.
    return prompt, output, runtime + noise * rng.standard_normal(n)


def test_fit_recovers_noiseless_coefficients():
    prompt, output, runtime = synthetic(truth())
    fitted, fit = fit_idealized_runtime(prompt, output, runtime, BUCKETS)
    # Noise-free linear least squares in float32: errors at the 1e-4 relative level of rounding.
    assert float(fitted.per_token_cost) == pytest.approx(0.021, rel=1e-3)
    np.testing.assert_allclose(fitted.prompt_costs, COSTS, rtol=1e-2, atol=1e-3)
    assert float(fitted.overhead) == 0.0


def test_fit_with_noise_within_standard_errors():
    prompt, output, runtime = synthetic(truth(), noise=0.01, seed=1)
    fitted, fit = fit_idealized_runtime(prompt, output, runtime, BUCKETS)
    std = np.asarray(fit.std["theta"])
    # Estimates lie within 4 Laplace standard errors of the truth (fails with probability < 1e-3 each).
    assert abs(float(fitted.per_token_cost) - 0.021) < 4 * std[0]
    assert np.all(np.abs(np.asarray(fitted.prompt_costs) - COSTS) < 4 * std[1:])


def test_denoised_fit_recovers_overhead():
    coefficients = truth(overhead=0.25, first=0.021)
    prompt, output, runtime = synthetic(coefficients)
    fitted, _ = fit_idealized_runtime(prompt, output, runtime, BUCKETS, denoised=True)
    assert float(fitted.overhead) == pytest.approx(0.25, rel=1e-2)
    assert float(fitted.per_token_cost) == pytest.approx(0.021, rel=1e-3)
    assert float(fitted.prompt_costs[0]) == float(fitted.per_token_cost)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"buckets": [1.0]}, "at least 2"),
        ({"buckets": [1.0, 1.0, 5.0]}, "strictly increasing"),
        ({"prompt": [5000.0] * 20}, "add buckets"),
        ({"runtime": [-1.0] * 20}, "runtimes must be finite"),
        ({"output": [0.0] * 20}, "output_tokens"),
        ({"n": 5}, "needs more than"),
    ],
)
def test_fit_rejects_bad_input(kwargs, match):
    n = kwargs.get("n", 20)
    prompt = np.asarray(kwargs.get("prompt", np.linspace(1, 1920, n)))
    output = np.asarray(kwargs.get("output", np.full(n, 10.0)))
    runtime = np.asarray(kwargs.get("runtime", np.full(n, 0.5)))
    with pytest.raises(ValueError, match=match):
        fit_idealized_runtime(prompt, output, runtime, kwargs.get("buckets", BUCKETS))


def test_denoised_needs_one_token_bucket():
    with pytest.raises(ValueError, match="buckets must start at 1"):
        fit_idealized_runtime(np.full(20, 300.0), np.full(20, 5.0), np.full(20, 0.5), BUCKETS[1:], denoised=True)


def test_cost_aware_variants():
    runtime = 2.0
    assert float(accelerator_seconds(runtime, 8)) == 16.0
    # 8 A100s at 400 W for 2 s over 100 tokens: 64 J per token.
    assert float(energy_per_token(runtime, 100, 8, get_hardware("a100-80gb").power_w)) == pytest.approx(64.0)
    # 8 chips at 3.6 dollars per hour for 2 s: 0.016 dollars, over 100 tokens.
    assert float(price_per_token(runtime, 100, 8, 3.6)) == pytest.approx(1.6e-4)


def test_unknown_power_raises():
    with pytest.raises(ValueError, match="power_w"):
        energy_per_token(1.0, 10, 1, get_hardware("tpu-v5e").power_w)
    with pytest.raises(ValueError, match="n_accelerators"):
        accelerator_seconds(1.0, 0)
