"""Shared differentiable primitives used by every domain package.

- :mod:`~jaxsim.core.smooth`: smooth max, min, clip with a temperature.
- :mod:`~jaxsim.core.fitting`: least-squares and likelihood fits with a Laplace covariance.
- :mod:`~jaxsim.core.timing`: compile time apart from run time for jitted functions.
- :mod:`~jaxsim.core.ensemble`: a function over a batch, sharded over all devices.
- :mod:`~jaxsim.core.constants`: physical constants with units and sources.
- :mod:`~jaxsim.core.report`: a study's metrics, tables and figures.
- :mod:`~jaxsim.core.progress`: progress bars for long steps.
- :mod:`~jaxsim.core.checkpoint`: orbax checkpoints of long runs, with resume.
"""

from jaxsim.core import constants
from jaxsim.core.checkpoint import Checkpointer
from jaxsim.core.ensemble import batch_sharding, ensemble, ensemble_keys
from jaxsim.core.fitting import FitResult, fit_least_squares, fit_nll, minimize
from jaxsim.core.progress import progress_bar, track
from jaxsim.core.report import Report, environment_record
from jaxsim.core.smooth import pnorm_max, smooth_clip, smooth_max, smooth_min, softplus
from jaxsim.core.timing import TimingResult, time_callable, time_jitted

__all__ = [
    "Checkpointer",
    "FitResult",
    "Report",
    "TimingResult",
    "batch_sharding",
    "constants",
    "ensemble",
    "ensemble_keys",
    "environment_record",
    "fit_least_squares",
    "fit_nll",
    "minimize",
    "pnorm_max",
    "progress_bar",
    "smooth_clip",
    "smooth_max",
    "smooth_min",
    "softplus",
    "time_callable",
    "time_jitted",
    "track",
]
