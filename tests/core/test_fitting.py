import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.core.fitting import fit_least_squares, fit_nll


def _line(params, x):
    return params["a"] + params["b"] * x


def test_least_squares_recovers_line_and_covariance(x64):
    # Closed form: for y = a + b x with known sigma, cov = sigma^2 (X^T X)^-1.
    rng = np.random.default_rng(0)
    x = np.linspace(0, 10, 200)
    sigma = 0.5
    y = 1.5 + 0.8 * x + sigma * rng.standard_normal(x.size)
    fit = fit_least_squares(_line, {"a": 0.0, "b": 0.0}, jnp.asarray(x), jnp.asarray(y), sigma=sigma * jnp.ones(200))
    design = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    expected_cov = sigma**2 * np.linalg.inv(design.T @ design)
    np.testing.assert_allclose([fit.params["a"], fit.params["b"]], coef, rtol=1e-8)
    np.testing.assert_allclose(fit.covariance, expected_cov, rtol=1e-8)
    assert bool(fit.converged)
    np.testing.assert_allclose(fit.residuals, y - design @ coef, atol=1e-8)


def test_least_squares_estimates_noise_when_sigma_missing(x64):
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 400)
    y = 2.0 - 3.0 * x + 0.1 * rng.standard_normal(x.size)
    fit = fit_least_squares(_line, {"a": 1.0, "b": 1.0}, jnp.asarray(x), jnp.asarray(y))
    design = np.stack([np.ones_like(x), x], axis=1)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    s2 = np.sum((y - design @ coef) ** 2) / (x.size - 2)
    np.testing.assert_allclose(fit.covariance, s2 * np.linalg.inv(design.T @ design), rtol=1e-6)
    # The true values lie within 4 standard errors.
    assert abs(float(fit.params["b"]) + 3.0) < 4 * float(fit.std["b"])


def test_log_space_fit_recovers_exponential_rate(x64):
    # Multiplicative noise: log y = log A + r t + noise, so the fit is linear in log space.
    rng = np.random.default_rng(2)
    t = np.arange(0.0, 100.0, 2.0)
    y = 5.0 * np.exp(0.02 * t) * np.exp(0.05 * rng.standard_normal(t.size))

    def model(params, t):
        return jnp.exp(params["log_a"] + params["rate"] * t)

    fit = fit_least_squares(model, {"log_a": 0.0, "rate": 0.0}, jnp.asarray(t), jnp.asarray(y), log_residuals=True)
    design = np.stack([np.ones_like(t), t], axis=1)
    coef, *_ = np.linalg.lstsq(design, np.log(y), rcond=None)
    np.testing.assert_allclose(float(fit.params["rate"]), coef[1], rtol=1e-7)
    assert abs(float(fit.params["rate"]) - 0.02) < 4 * float(fit.std["rate"])


def test_nll_fit_gaussian_mean_and_std_error(x64):
    # For a Gaussian with known sigma the MLE of the mean is the sample mean, std error sigma / sqrt(n).
    rng = np.random.default_rng(3)
    data = jnp.asarray(3.0 + 2.0 * rng.standard_normal(500))

    def nll(params, data):
        return 0.5 * jnp.sum((data - params["mu"]) ** 2) / 4.0

    fit = fit_nll(nll, {"mu": 0.0}, data)
    np.testing.assert_allclose(float(fit.params["mu"]), float(jnp.mean(data)), rtol=1e-8)
    np.testing.assert_allclose(float(fit.std["mu"]), 2.0 / np.sqrt(500), rtol=1e-6)


def test_fit_rejects_bad_data():
    x = jnp.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="non-finite"):
        fit_least_squares(_line, {"a": 0.0, "b": 0.0}, x, jnp.array([1.0, jnp.nan, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="y > 0"):
        fit_least_squares(_line, {"a": 0.0, "b": 0.0}, x, -jnp.ones(5), log_residuals=True)
    with pytest.raises(ValueError, match="more points than parameters"):
        fit_least_squares(_line, {"a": 0.0, "b": 0.0}, x[:2], jnp.ones(2))
    with pytest.raises(ValueError, match="sigma must be positive"):
        fit_least_squares(_line, {"a": 0.0, "b": 0.0}, x, jnp.ones(5), sigma=jnp.zeros(5))


def test_refit_same_model_does_not_retrace():
    from helpers import TraceCounter

    counter = TraceCounter(_line)
    x = jnp.linspace(0, 1, 20)
    fit_least_squares(counter, {"a": 0.0, "b": 0.0}, x, 1.0 + 2.0 * x)
    first = counter.count
    fit_least_squares(counter, {"a": 0.5, "b": 0.5}, x, 3.0 - x)
    assert counter.count == first
