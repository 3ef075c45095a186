"""Times at which a growth trajectory reaches a given power, found by diffrax event detection.

The solve stops where ``g(t) = ln P(t) - ln P*`` changes sign, and an optimistix Newton root
finder refines the crossing inside the last step. Because the event time is defined by
``g(t*, theta) = 0``, diffrax differentiates it by the implicit function theorem,
``dt*/dtheta = -(dg/dtheta) / (dg/dt)``, so gradients of the time with respect to every model
parameter are exact up to the solver tolerance. For exponential and logistic growth the times
also have closed forms (:mod:`~jaxsim.technosphere.growth`), and the tests check that both agree.
"""

from __future__ import annotations

import diffrax
import equinox as eqx
import jax.numpy as jnp
import optimistix as optx
from jaxtyping import Array, ArrayLike, Bool, Float

from jaxsim.technosphere._validation import check_positive
from jaxsim.technosphere.growth import GrowthModel, step_controller

__all__ = ["time_to_power"]


def time_to_power(
    model: GrowthModel,
    target: Float[ArrayLike, ""],
    t_max: Float[ArrayLike, ""],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
    root_tol: float = 1e-6,
    max_steps: int = 16_384,
) -> tuple[Float[Array, ""], Bool[Array, ""]]:
    """Find the first time in years at which ``model``'s power reaches ``target`` watts.

    Args:
        model: any :class:`~jaxsim.technosphere.growth.GrowthModel`, starting at ``t = 0``.
        target: power ``P*`` in W; a trajectory that starts above it is reported as not
            reaching it, because the event looks for an upward crossing.
        t_max: end of the search in years.
        rtol, atol: tolerances of the Tsit5 step-size controller on the state.
        root_tol: relative and absolute tolerance of the Newton root finder on the time (yr).
            The absolute one never goes below the rounding floor of ``ln P``.
        max_steps: maximum number of solver steps.

    Returns:
        ``(time, reached)``. ``reached`` is False when the power stays below ``target``
        until ``t_max`` or the solver failed; ``time`` is then ``t_max``. This failure flag
        replaces an exception so that batched (``vmap``) calls return every member.

    Raises:
        ValueError: for a concrete non-positive target or ``t_max``.
    """
    check_positive("target", target, "W")
    check_positive("t_max", t_max, "yr")
    dtype = jnp.result_type(float)
    return _time_to_power(
        model,
        jnp.log(jnp.asarray(target, dtype=dtype)),
        jnp.asarray(t_max, dtype=dtype),
        rtol=rtol,
        atol=atol,
        root_tol=root_tol,
        max_steps=max_steps,
    )


class _Crossing(eqx.Module):
    # A pytree rather than a closure, so that a new target reuses the compiled solve.
    model: GrowthModel
    log_target: Array

    def __call__(self, t, y, args, **kwargs):
        return self.model.log_power(y) - self.log_target


@eqx.filter_jit
def _time_to_power(
    model: GrowthModel, log_target: Array, t_max: Array, *, rtol: float, atol: float, root_tol: float, max_steps: int
) -> tuple[Array, Array]:
    # Newton stops when both the time step and |g| fall below atol. |g| = |ln P - ln P*| cannot
    # fall below the rounding error of ln P (up to about 100 for 1e43 W), so atol is at least
    # 16 * eps * 100: 1.9e-4 in float32, 3.6e-12 in float64.
    floor = 16.0 * float(jnp.finfo(log_target.dtype).eps) * 100.0
    newton = optx.Newton(rtol=root_tol, atol=max(root_tol, floor))
    event = diffrax.Event(_Crossing(model, log_target), root_finder=newton, direction=True)
    solution = diffrax.diffeqsolve(
        diffrax.ODETerm(model.vector_field),
        diffrax.Tsit5(),
        t0=0.0,
        t1=t_max,
        dt0=None,
        y0=model.initial_state(),
        saveat=diffrax.SaveAt(t1=True),
        stepsize_controller=step_controller(model, rtol, atol),
        event=event,
        max_steps=max_steps,
        throw=False,
    )
    reached = solution.event_mask & diffrax.is_okay(solution.result)
    return solution.ts[-1], reached
