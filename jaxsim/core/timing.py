"""Timing of jitted functions with compile time kept apart from run time.

``time_jitted`` lowers and compiles the function once (compile time), runs it ``warmup``
times, then times ``repeats`` calls, each ending in ``jax.block_until_ready`` on every output
so that asynchronous dispatch does not hide work. Statistics are the median and the
interquartile range, which are robust to the occasional slow call on a shared machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import jax
import numpy as np

__all__ = ["TimingResult", "time_jitted", "time_callable", "summarize_times"]


@dataclass(frozen=True)
class TimingResult:
    """Timings of one function, in seconds.

    Attributes:
        compile_s: time to trace, lower and compile (0 for a plain Python callable).
        median_s: median run time of one call.
        iqr_s: interquartile range of the run times.
        min_s: fastest call.
        times_s: every timed call.
    """

    compile_s: float
    median_s: float
    iqr_s: float
    min_s: float
    times_s: tuple[float, ...] = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["times_s"] = list(self.times_s)
        return out


def summarize_times(compile_s: float, times_s: list[float]) -> TimingResult:
    """Build a :class:`TimingResult` from raw call times."""
    times = np.asarray(times_s, dtype=float)
    q25, q50, q75 = np.percentile(times, [25, 50, 75])
    return TimingResult(float(compile_s), float(q50), float(q75 - q25), float(times.min()), tuple(map(float, times)))


def _check_counts(warmup: int, repeats: int) -> None:
    if warmup < 0:
        raise ValueError(f"warmup must be >= 0, got {warmup}.")
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}; use at least 5 for a stable median.")


def time_jitted(
    fn: Callable[..., Any],
    *args: Any,
    warmup: int = 1,
    repeats: int = 10,
    static_argnums: tuple[int, ...] = (),
    **kwargs: Any,
) -> TimingResult:
    """Compile ``fn`` for ``args`` and time compilation and execution apart.

    Args:
        fn: a function to ``jax.jit``, or an already jitted one.
        *args, **kwargs: the call's arguments; their shapes fix the compiled program.
        warmup: untimed calls after compilation.
        repeats: timed calls.
        static_argnums: positional arguments treated as static by ``jax.jit``.

    Returns:
        A :class:`TimingResult`; ``compile_s`` covers tracing, lowering and XLA compilation.
    """
    _check_counts(warmup, repeats)
    jitted = fn if hasattr(fn, "lower") else jax.jit(fn, static_argnums=static_argnums)
    start = time.perf_counter()
    compiled = jitted.lower(*args, **kwargs).compile()
    compile_s = time.perf_counter() - start
    dynamic_args = [a for i, a in enumerate(args) if i not in static_argnums]
    for _ in range(warmup):
        jax.block_until_ready(compiled(*dynamic_args, **kwargs))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(compiled(*dynamic_args, **kwargs))
        times.append(time.perf_counter() - start)
    return summarize_times(compile_s, times)


def time_callable(fn: Callable[[], Any], *, warmup: int = 1, repeats: int = 10) -> TimingResult:
    """Time a zero-argument callable; JAX outputs are waited for with ``block_until_ready``."""
    _check_counts(warmup, repeats)
    for _ in range(warmup):
        jax.block_until_ready(fn())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        times.append(time.perf_counter() - start)
    return summarize_times(0.0, times)
