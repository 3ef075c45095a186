import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsim.core.smooth import pnorm_max, smooth_clip, smooth_max, smooth_min, softplus


def test_smooth_max_exact_at_zero_temperature():
    x = jnp.array([[1.0, 3.0, -2.0], [0.5, 0.25, 0.0]])
    np.testing.assert_array_equal(smooth_max(x, temperature=0.0), jnp.max(x, axis=-1))
    np.testing.assert_array_equal(smooth_min(x, temperature=0.0), jnp.min(x, axis=-1))


def test_smooth_max_error_bounded_by_t_log_n():
    x = jnp.array([1.0, 3.0, -2.0, 2.9])
    for t in [1.0, 0.1, 0.01, 1e-4]:
        value = float(smooth_max(x, temperature=t))
        assert 3.0 <= value <= 3.0 + t * np.log(4) + 1e-6


def test_smooth_max_converges_as_temperature_shrinks():
    a, b = jnp.array(2.0), jnp.array(2.5)
    errors = [float(smooth_max(a, b, temperature=t)) - 2.5 for t in [1.0, 0.1, 0.01]]
    assert errors[0] > errors[1] > errors[2] >= 0


def test_smooth_max_pairwise_broadcasts():
    out = smooth_max(jnp.zeros((3, 1)), jnp.ones((1, 4)), temperature=0.0)
    assert out.shape == (3, 4)
    np.testing.assert_array_equal(out, 1.0)


def test_smooth_max_gradient_is_softmax(x64):
    x = jnp.array([0.3, -0.2, 0.9])
    t = 0.5
    grad = jax.grad(lambda v: smooth_max(v, temperature=t))(x)
    np.testing.assert_allclose(grad, jax.nn.softmax(x / t), rtol=1e-12)
    assert abs(float(jnp.sum(grad)) - 1.0) < 1e-12


def test_smooth_max_gradient_finite_at_zero_temperature():
    grad_t = jax.grad(lambda t: smooth_max(jnp.array([1.0, 2.0]), temperature=t))(0.0)
    assert np.isfinite(float(grad_t))
    grad_x = jax.grad(lambda v: smooth_max(v, temperature=0.0))(jnp.array([1.0, 2.0]))
    np.testing.assert_array_equal(grad_x, [0.0, 1.0])


def test_smooth_max_gradient_matches_finite_differences(x64):
    x = jnp.array([0.3, -0.2, 0.9])

    def f(v, t):
        return smooth_max(v, temperature=t) ** 2

    grad_x, grad_t = jax.grad(f, argnums=(0, 1))(x, 0.7)
    h = 1e-6
    for i in range(3):
        e = jnp.zeros(3).at[i].set(h)
        fd = (f(x + e, 0.7) - f(x - e, 0.7)) / (2 * h)
        assert abs(float(grad_x[i] - fd)) < 1e-8
    fd_t = (f(x, 0.7 + h) - f(x, 0.7 - h)) / (2 * h)
    assert abs(float(grad_t - fd_t)) < 1e-8


def test_smooth_clip_limits_and_validation():
    x = jnp.linspace(-3, 3, 13)
    np.testing.assert_array_equal(smooth_clip(x, -1.0, 2.0, temperature=0.0), jnp.clip(x, -1.0, 2.0))
    soft = smooth_clip(x, -1.0, 2.0, temperature=0.01)
    np.testing.assert_allclose(soft, jnp.clip(x, -1.0, 2.0), atol=0.01 * np.log(2) + 1e-6)
    with pytest.raises(ValueError, match="lower <= upper"):
        smooth_clip(x, 2.0, -1.0)


def test_softplus_matches_relu_and_log1p():
    x = jnp.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(softplus(x), jax.nn.relu(x))
    np.testing.assert_allclose(softplus(x, temperature=1.0), jnp.log1p(jnp.exp(x)), rtol=1e-6)


def test_negative_temperature_rejected():
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        smooth_max(jnp.ones(3), temperature=-1.0)


def test_smooth_functions_under_jit_and_vmap():
    x = jax.random.normal(jax.random.key(0), (5, 4))
    temps = jnp.array([0.0, 0.1, 1.0])
    batched = jax.jit(jax.vmap(lambda t: smooth_max(x, temperature=t)))(temps)
    assert batched.shape == (3, 5)
    np.testing.assert_array_equal(batched[0], jnp.max(x, axis=-1))


def test_pnorm_max_bounds_and_scale_free():
    x = jnp.array([1e-3, 2e-3, 5e-4])
    value = float(pnorm_max(x, p=8.0))
    assert 2e-3 <= value <= 3 ** (1 / 8) * 2e-3 * (1 + 1e-6)
    np.testing.assert_allclose(pnorm_max(1e12 * x, p=8.0), 1e12 * value, rtol=1e-5)
    with pytest.raises(ValueError, match="p > 0"):
        pnorm_max(x, p=0.0)
