"""Fit exponential growth in log space, then push the fitted uncertainty through an ensemble.

Run: python examples/core_fit_and_ensemble.py   (a few seconds on a CPU)
"""

import jax
import jax.numpy as jnp
import numpy as np

from jaxsim.core import ensemble, fit_least_squares, smooth_max

# Synthetic data: y = 3 exp(0.05 t) with 5 percent multiplicative noise.
rng = np.random.default_rng(0)
t = jnp.arange(0.0, 60.0, 3.0)
y = 3.0 * jnp.exp(0.05 * t) * jnp.exp(0.05 * rng.standard_normal(t.size))


def model(params, t):
    return jnp.exp(params["log_a"] + params["rate"] * t)


fit = fit_least_squares(model, {"log_a": 0.0, "rate": 0.0}, t, y, log_residuals=True)
print(f"rate = {float(fit.params['rate']):.4f} +/- {float(fit.std['rate']):.4f} per unit time")

# Draw parameter sets from the Laplace covariance and evaluate each one, sharded over devices.
mean = jnp.array([fit.params["log_a"], fit.params["rate"]])
draws = jax.random.multivariate_normal(jax.random.key(1), mean, fit.covariance, (1000,))


def time_to_reach(theta, target):
    # Solve a exp(r t) = target for t; a smooth max keeps the answer non-negative and differentiable.
    return smooth_max((jnp.log(target) - theta[0]) / theta[1], 0.0, temperature=1e-3)


times = ensemble(time_to_reach, draws, 1000.0)
low, high = np.percentile(np.asarray(times), [5, 95])
print(f"time to reach 1000: 90% band [{low:.1f}, {high:.1f}]")
