"""Profilers behind one interface: wall time and CPU instruction counts over fresh processes.

A profiler runs a solution in ``processes`` fresh subprocesses (:func:`run_isolated`), each
with ``warmup`` untimed calls and ``repeats`` measured calls, and pools the measurements into a
:class:`Measurement`: median with a confidence interval, robust relative noise, compile time of
jitted entry points, peak resident memory and, where JAX reports it, peak device memory.
Fresh processes matter because cache state, memory layout and CPU frequency differ between
processes, and a single process would hide that variation. :meth:`Profiler.measure_many`
measures several solutions in interleaved rounds: one process per solution per round, with the
order reversed in every other round. A period of load on a shared machine then falls on one
process of several solutions instead of on every process of one solution. The spread of the
per-process costs estimates the between-process noise (:func:`jaxsim.dpe.levels.process_noise`).

``WallTimeProfiler`` measures seconds with ``time.perf_counter``; JAX outputs are waited for
with ``jax.block_until_ready``. ``InstructionProfiler`` counts user-space instructions of all
threads with Linux perf events (:mod:`jaxsim.dpe.perf_events`), the cost measure of EvalPerf
(Liu et al. 2024, "Evaluating Language Models for Efficient Code Generation",
arXiv:2408.06450). :func:`select_profiler` picks instruction counts where the counter works
and wall time elsewhere, and returns the reason for its choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jaxsim.core.timing import TimingResult, summarize_times
from jaxsim.dpe.isolation import Limits, RunOutcome, run_isolated
from jaxsim.dpe.perf_events import instruction_counter_status
from jaxsim.dpe.stats import summarize_costs

__all__ = [
    "Measurement",
    "Profiler",
    "WallTimeProfiler",
    "InstructionProfiler",
    "ProfilerChoice",
    "select_profiler",
    "with_limits",
]


@dataclass(frozen=True)
class Measurement:
    """The pooled cost of one solution on one input.

    Attributes:
        status: ``"ok"`` or the first failure status among the processes.
        unit: ``"s"`` for wall time or ``"instructions"``.
        samples: every measured repeat of every process.
        process_medians: the median of each process.
        process_costs: the cost statistic (``statistic``) of each process.
        cost: the cost used for levels and scores: the median of instruction counts, the
            minimum of wall times (load on a shared machine only adds time, so the fastest
            repeat is the least disturbed one, as in Python's ``timeit``).
        statistic: ``"median"`` or ``"min"``, the statistic behind ``cost``.
        median, ci_low, ci_high: median cost and its 95 % order-statistic confidence interval.
        relative_noise: robust relative standard deviation of ``samples``.
        compile_s: median compile time over processes (0 unless the entry point is jitted).
        timing: run and compile times as a :class:`jaxsim.core.timing.TimingResult` (wall time only).
        peak_rss_bytes: highest peak resident memory of the processes.
        device_peak_bytes: highest peak device memory, None where JAX does not report it.
        message: failure explanation.
        output, arrays: the first process's output (see :class:`RunOutcome`).
    """

    status: str
    unit: str
    samples: tuple[float, ...] = ()
    process_medians: tuple[float, ...] = ()
    process_costs: tuple[float, ...] = ()
    cost: float = float("nan")
    statistic: str = "median"
    median: float = float("nan")
    ci_low: float = float("nan")
    ci_high: float = float("nan")
    relative_noise: float = 0.0
    compile_s: float = 0.0
    timing: TimingResult | None = field(default=None, repr=False)
    peak_rss_bytes: int | None = None
    device_peak_bytes: int | None = None
    message: str = ""
    output: Any = field(default=None, repr=False)
    arrays: tuple = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def summary(self) -> dict[str, Any]:
        """Return the JSON-ready fields (no samples or outputs)."""
        return {
            "status": self.status,
            "unit": self.unit,
            "cost": self.cost,
            "statistic": self.statistic,
            "median": self.median,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "relative_noise": self.relative_noise,
            "n_samples": len(self.samples),
            "process_costs": list(self.process_costs),
            "compile_s": self.compile_s,
            "peak_rss_bytes": self.peak_rss_bytes,
            "device_peak_bytes": self.device_peak_bytes,
            "message": self.message,
        }


class Profiler:
    """Measure a solution's cost over fresh processes; subclasses fix the cost unit.

    Args:
        processes: fresh processes per solution.
        repeats: measured calls per process, at least.
        warmup: untimed calls per process after the first call.
        limits: time and memory limits of each process.
        min_time_s: per process, solutions faster than ``min_time_s / repeats`` get more
            measured calls (up to ``max_repeats``) until the calls add up to ``min_time_s``.
        max_repeats: the most measured calls per process.
    """

    name = "abstract"
    unit = ""
    statistic = "median"
    _child_profiler = ""

    def __init__(self, *, processes: int = 3, repeats: int = 5, warmup: int = 1, limits: Limits = Limits(),
                 min_time_s: float = 0.05, max_repeats: int = 50):
        if processes < 1:
            raise ValueError(f"processes must be >= 1, got {processes}.")
        if repeats < 1:
            raise ValueError(f"repeats must be >= 1, got {repeats}; use at least 5 for a usable tie test.")
        if warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {warmup}.")
        self.processes = processes
        self.repeats = repeats
        self.warmup = warmup
        self.limits = limits
        self.min_time_s = min_time_s
        self.max_repeats = max(max_repeats, repeats)

    def describe(self) -> dict[str, Any]:
        return {"profiler": self.name, "unit": self.unit, "statistic": self.statistic, "processes": self.processes,
                "repeats": self.repeats, "warmup": self.warmup, "min_time_s": self.min_time_s,
                "max_repeats": self.max_repeats, "time_limit_s": self.limits.time_s,
                "memory_limit_bytes": self.limits.memory_bytes,
                "cpus": list(self.limits.cpus) if self.limits.cpus is not None else None}

    def _run(self, code: str, entry_point: str, input_spec: dict, framework: str, keep_output: bool) -> RunOutcome:
        return run_isolated(code, entry_point, input_spec, framework=framework, profiler=self._child_profiler,
                            warmup=self.warmup, repeats=self.repeats, limits=self.limits, keep_output=keep_output,
                            min_time_s=self.min_time_s, max_repeats=self.max_repeats)

    def measure(self, code: str, entry_point: str, input_spec: dict, *, framework: str = "python",
                keep_output: bool = False, processes: int | None = None) -> Measurement:
        """Run the solution in fresh processes and pool the results.

        The first failing process ends the measurement: its status and message are returned.
        Only the first process returns the output, because the output does not depend on timing.
        """
        return self.measure_many({"solution": code}, entry_point, input_spec, framework=framework,
                                 keep_output=keep_output, processes=processes)["solution"]

    def measure_many(self, codes: dict[str, str], entry_point: str, input_spec: dict, *, framework: str = "python",
                     keep_output: bool = False,
                     processes: int | dict[str, int] | None = None) -> dict[str, Measurement]:
        """Measure several solutions in interleaved rounds of fresh processes and pool each one's results.

        Round ``r`` runs one process of every solution that has not failed, in the given order
        when ``r`` is even and in reverse order when it is odd. Every solution's processes are
        thereby spread over the whole measurement, and no solution always runs first or last. A
        solution's first
        failing process ends its measurement: its status and message are returned. Only the
        first round returns outputs.

        Args:
            codes: solution sources by name; the result has the same keys in the same order.
            processes: processes per solution (default ``self.processes``), or a count per name
                for some solutions (the others get the default).
        """
        names = list(codes)
        counts = processes if isinstance(processes, dict) else {}
        default = self.processes if processes is None or isinstance(processes, dict) else processes
        per_name = {name: int(counts.get(name, default)) for name in names}
        if min(per_name.values(), default=1) < 1:
            raise ValueError(f"every solution needs at least one process, got {per_name}.")
        outcomes: dict[str, list[RunOutcome]] = {name: [] for name in names}
        failed: dict[str, Measurement] = {}
        for round_index in range(max(per_name.values(), default=0)):
            order = names if round_index % 2 == 0 else names[::-1]
            for name in order:
                if name in failed or round_index >= per_name[name]:
                    continue
                outcome = self._run(codes[name], entry_point, input_spec, framework, keep_output and round_index == 0)
                if not outcome.ok:
                    failed[name] = Measurement(outcome.status, self.unit, message=outcome.message)
                    continue
                outcomes[name].append(outcome)
        return {name: failed[name] if name in failed else self._pool(outcomes[name]) for name in names}

    def _pool(self, outcomes: list[RunOutcome]) -> Measurement:
        samples = tuple(s for outcome in outcomes for s in outcome.samples)
        summary = summarize_costs(samples)
        compile_s = float(np.median([o.compile_s for o in outcomes]))
        timing = summarize_times(compile_s, list(samples)) if self.unit == "s" else None
        device_peaks = [o.device_peak_bytes for o in outcomes if o.device_peak_bytes is not None]
        return Measurement(
            status="ok",
            unit=self.unit,
            samples=samples,
            process_medians=tuple(float(np.median(o.samples)) for o in outcomes),
            process_costs=tuple(float(np.min(o.samples)) if self.statistic == "min" else float(np.median(o.samples))
                                for o in outcomes),
            cost=float(np.min(samples)) if self.statistic == "min" else summary.median,
            statistic=self.statistic,
            median=summary.median,
            ci_low=summary.ci_low,
            ci_high=summary.ci_high,
            relative_noise=summary.relative_noise,
            compile_s=compile_s,
            timing=timing,
            peak_rss_bytes=max((o.peak_rss_bytes or 0) for o in outcomes) or None,
            device_peak_bytes=max(device_peaks) if device_peaks else None,
            output=outcomes[0].output,
            arrays=outcomes[0].arrays,
        )


class WallTimeProfiler(Profiler):
    """Wall time per call in seconds, with warm-up and ``block_until_ready`` on JAX outputs."""

    name = "wall_time"
    unit = "s"
    statistic = "min"
    _child_profiler = "wall"


class InstructionProfiler(Profiler):
    """Retired user-space CPU instructions per call, all threads included, via perf events.

    Args:
        event: ``(type, config)`` of the perf event; the default counts hardware instructions.
            Any other event changes what is counted and exists for testing the counting path.
    """

    name = "instructions"
    unit = "instructions"
    _child_profiler = "instructions"

    def __init__(self, *, event: tuple[int, int] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.event = event

    def _run(self, code, entry_point, input_spec, framework, keep_output):
        return run_isolated(code, entry_point, input_spec, framework=framework, profiler="instructions",
                            warmup=self.warmup, repeats=self.repeats, limits=self.limits,
                            keep_output=keep_output, event=self.event, min_time_s=self.min_time_s,
                            max_repeats=self.max_repeats)


@dataclass(frozen=True)
class ProfilerChoice:
    """The chosen profiler and why."""

    profiler: Profiler
    reason: str


def select_profiler(kind: str = "auto", **kwargs) -> ProfilerChoice:
    """Return the profiler for ``kind``: ``"auto"``, ``"instructions"`` or ``"wall"``.

    ``"auto"`` uses instruction counts where :func:`instruction_counter_status` reports a working
    counter and falls back to wall time otherwise; the reason names the cause of a fallback.
    ``"instructions"`` raises where the counter is unavailable, with the reason.
    """
    if kind not in ("auto", "instructions", "wall"):
        raise ValueError(f"profiler must be 'auto', 'instructions' or 'wall', got {kind!r}.")
    if kind == "wall":
        return ProfilerChoice(WallTimeProfiler(**kwargs), "wall time requested")
    status = instruction_counter_status()
    if status.available:
        return ProfilerChoice(InstructionProfiler(**kwargs), status.reason)
    if kind == "instructions":
        raise RuntimeError(f"the instruction counter is unavailable: {status.reason}. Use profiler='wall'.")
    return ProfilerChoice(WallTimeProfiler(**kwargs), f"fell back to wall time: {status.reason}")


def with_limits(profiler: Profiler, limits: Limits) -> Profiler:
    """Return a copy of ``profiler`` with other limits."""
    clone = object.__new__(type(profiler))
    clone.__dict__.update(profiler.__dict__)
    clone.limits = limits
    return clone


