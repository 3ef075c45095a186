"""End-to-end evaluation: measure references, form levels, score samples, write JSON.

For each task the references and the samples are measured on the performance input with the
chosen profiler, every solution in fresh limited processes, in interleaved rounds
(:meth:`jaxsim.dpe.profilers.Profiler.measure_many`): a period of load then falls on single
processes of several solutions rather than on a sample and not on the references it is compared
with. The references are checked against each other (the output most references agree on is the
expected output) and grouped into levels (:func:`jaxsim.dpe.levels.cluster_levels`, with the
between-process noise pooled over the references); every sample is checked against the expected
output and scored (:func:`jaxsim.dpe.scoring.score_sample`). A reference that fails or disagrees
is left out of the levels and listed in ``excluded_references``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jaxsim.dpe.check import outputs_match
from jaxsim.dpe.inputs import find_performance_input
from jaxsim.dpe.levels import (
    DEFAULT_BASE,
    DEFAULT_MAX_ALLOWANCE,
    DEFAULT_NOISE_MULTIPLIER,
    Levels,
    ReferenceCost,
    cluster_levels,
)
from jaxsim.dpe.profilers import Measurement, Profiler, with_limits
from jaxsim.dpe.scoring import DEFAULT_ALPHA, SampleScore, TaskSummary, score_sample, summarize_task
from jaxsim.dpe.tasks import Sample, Task

__all__ = ["TaskError", "ReferenceSet", "TaskEvaluation", "measure_references", "score_measurement",
           "evaluate_task", "evaluate", "write_results"]


class TaskError(ValueError):
    """Raised when a task cannot be scored at all (no references ran, or no references)."""


@dataclass(frozen=True)
class ReferenceSet:
    """A task's measured references, the expected output and the levels."""

    task_id: str
    levels: Levels
    measurements: dict[str, Measurement] = field(repr=False)
    expected_output: Any = field(repr=False, default=None)
    expected_arrays: tuple = field(repr=False, default=())
    excluded_references: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskEvaluation:
    """Results of one task: levels, reference measurements, sample scores and the summary."""

    task_id: str
    references: ReferenceSet
    scores: tuple[SampleScore, ...]
    measurements: dict[str, Measurement] = field(repr=False)
    summary: TaskSummary
    scale: int | None = None

    def to_dict(self) -> dict:
        return {
            "task_id": self.task_id,
            "scale": self.scale,
            "levels": self.references.levels.to_dict(),
            "references": {name: m.summary() for name, m in self.references.measurements.items()},
            "excluded_references": self.references.excluded_references,
            "samples": [s.to_dict() | {"measurement": self.measurements[s.sample_id].summary()}
                        if s.sample_id in self.measurements else s.to_dict() for s in self.scores],
            "summary": self.summary.to_dict(),
        }


def _profiler_for(task: Task, profiler: Profiler) -> Profiler:
    if task.time_limit_s is None:
        return profiler
    return with_limits(profiler, replace(profiler.limits, time_s=float(task.time_limit_s)))


def _cost(name: str, measurement: Measurement) -> ReferenceCost:
    return ReferenceCost(name, measurement.cost, measurement.relative_noise, measurement.samples,
                         measurement.process_costs)


def measure_references(
    task: Task,
    profiler: Profiler,
    *,
    scale: int | None = None,
    base: float = DEFAULT_BASE,
    noise_multiplier: float = DEFAULT_NOISE_MULTIPLIER,
    max_allowance: float = DEFAULT_MAX_ALLOWANCE,
) -> ReferenceSet:
    """Measure every reference of ``task`` (in interleaved rounds) and form its levels.

    Raises:
        TaskError: when the task has no references or none of them runs.
    """
    if not task.references:
        raise TaskError(f"task {task.task_id!r} has no references; levels need at least one.")
    profiler = _profiler_for(task, profiler)
    codes = {reference.name: reference.code for reference in task.references}
    measured = profiler.measure_many(codes, task.entry_point, task.input_spec(scale), framework=task.framework,
                                     keep_output=True)
    return _reference_set(task, measured, profiler.unit, base=base, noise_multiplier=noise_multiplier,
                          max_allowance=max_allowance)


def _reference_set(task: Task, measurements: dict[str, Measurement], unit: str, *, base: float = DEFAULT_BASE,
                   noise_multiplier: float = DEFAULT_NOISE_MULTIPLIER,
                   max_allowance: float = DEFAULT_MAX_ALLOWANCE) -> ReferenceSet:
    """Keep the references that ran and agree with the majority, and cluster them into levels."""
    measured = {name: m for name, m in measurements.items() if m.ok}
    excluded = {name: f"{m.status}: {m.message}" for name, m in measurements.items() if not m.ok}
    if not measured:
        raise TaskError(f"task {task.task_id!r}: no reference ran on the performance input: {excluded}.")

    # The output that most references agree on is the expected one; the others are excluded.
    groups: list[list[str]] = []
    for name, m in measured.items():
        for group in groups:
            first = measured[group[0]]
            if outputs_match(first.output, first.arrays, m.output, m.arrays, task.check):
                group.append(name)
                break
        else:
            groups.append([name])
    majority = max(groups, key=len)
    for group in groups:
        if group is not majority:
            for name in group:
                excluded[name] = f"output disagrees with references {majority}"
    kept = {name: measured[name] for name in majority}
    levels = cluster_levels([_cost(n, m) for n, m in kept.items()], unit=unit, base=base,
                            noise_multiplier=noise_multiplier, max_allowance=max_allowance)
    expected = kept[majority[0]]
    return ReferenceSet(task.task_id, levels, kept, expected.output, expected.arrays, excluded)


def score_measurement(task: Task, references: ReferenceSet, measurement: Measurement, sample_id: str,
                      *, alpha: float = DEFAULT_ALPHA) -> SampleScore:
    """Check a sample's output and score its cost against the task's levels."""
    if not measurement.ok:
        return score_sample(None, references.levels, sample_id=sample_id, task_id=task.task_id,
                            status=measurement.status, message=measurement.message, alpha=alpha)
    if not outputs_match(references.expected_output, references.expected_arrays, measurement.output,
                         measurement.arrays, task.check):
        return score_sample(None, references.levels, sample_id=sample_id, task_id=task.task_id,
                            status="wrong_output", message="the output differs from the references' output",
                            alpha=alpha)
    return score_sample(_cost(sample_id, measurement), references.levels, sample_id=sample_id,
                        task_id=task.task_id, alpha=alpha)


def evaluate_task(task: Task, samples: Sequence[Sample], profiler: Profiler, *, references: ReferenceSet | None = None,
                  alpha: float = DEFAULT_ALPHA, pe_budget_s: float = 0.1, sample_processes: int | None = None,
                  **level_options) -> TaskEvaluation:
    """Measure the references (unless given) and the samples of ``task``, and score each sample.

    Without ``references``, references and samples are measured together in interleaved rounds
    (:meth:`Profiler.measure_many`), references first in every even round; the levels use the
    references alone. ``sample_processes`` (default: the profiler's ``processes``) sets the
    processes per sample. Fewer processes than the references get save time where processes
    are costly (JAX), because the between-process noise comes from the references. A task with a
    generator and no scale first gets one from :func:`find_performance_input` with ``pe_budget_s``
    seconds per call of its slowest reference.

    Raises:
        TaskError: when the task has no references or none of them runs.
    """
    if task.pe_input is None and task.scale is None:
        chosen = find_performance_input(task, budget_s=pe_budget_s, require_budget=False, cpus=profiler.limits.cpus)
        task = replace(task, scale=chosen.scale)
    if references is None and not task.references:
        raise TaskError(f"task {task.task_id!r} has no references; levels need at least one.")
    task_profiler = _profiler_for(task, profiler)
    spec = task.input_spec()
    codes = {} if references is not None else {("reference", r.name): r.code for r in task.references}
    codes.update({("sample", i): sample.code for i, sample in enumerate(samples)})
    counts = {key: sample_processes for key in codes if key[0] == "sample"} if sample_processes else None
    measured = task_profiler.measure_many(codes, task.entry_point, spec, framework=task.framework, keep_output=True,
                                          processes=counts)
    if references is None:
        references = _reference_set(task, {name: m for (kind, name), m in measured.items() if kind == "reference"},
                                    task_profiler.unit, **level_options)
    scores, measurements = [], {}
    for index, sample in enumerate(samples):
        measurement = measured[("sample", index)]
        measurements[sample.sample_id] = measurement
        scores.append(score_measurement(task, references, measurement, sample.sample_id, alpha=alpha))
    return TaskEvaluation(task.task_id, references, tuple(scores), measurements,
                          summarize_task(task.task_id, scores), scale=task.scale)


def evaluate(tasks: Sequence[Task], samples: Sequence[Sample], profiler: Profiler, **options) -> dict[str, Any]:
    """Score every sample against its task; unknown tasks and unscorable tasks become failures.

    Returns:
        ``{"tasks": [TaskEvaluation.to_dict()...], "samples": [...], "errors": {...}}`` where a sample
        of an unknown task has status ``"unknown_task"`` and one of an unscorable task
        ``"task_error"``.
    """
    by_task: dict[str, list[Sample]] = {}
    for sample in samples:
        by_task.setdefault(sample.task_id, []).append(sample)
    known = {task.task_id: task for task in tasks}
    task_results, sample_rows, errors = [], [], {}
    for task_id, task_samples in by_task.items():
        if task_id not in known:
            message = f"unknown task {task_id!r}; known tasks: {sorted(known)[:10]}"
            errors[task_id] = message
            sample_rows += [{"sample_id": s.sample_id, "task_id": task_id, "status": "unknown_task", "correct": False,
                             "score": 0.0, "normalized_score": 0.0, "message": message} for s in task_samples]
            continue
        try:
            evaluation = evaluate_task(known[task_id], task_samples, profiler, **options)
        except ValueError as error:  # TaskError, TaskFormatError and PerformanceInputError are ValueErrors
            errors[task_id] = str(error)
            sample_rows += [{"sample_id": s.sample_id, "task_id": task_id, "status": "task_error", "correct": False,
                             "score": 0.0, "normalized_score": 0.0, "message": str(error)} for s in task_samples]
            continue
        record = evaluation.to_dict()
        task_results.append(record)
        sample_rows += record["samples"]
    return {"profiler": profiler.describe(), "tasks": task_results, "samples": sample_rows, "errors": errors}


def _finite_json(value: Any) -> Any:
    """Replace NaN and infinities by None, which strict JSON readers accept."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_json(v) for v in value]
    return value


def write_results(results: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``samples.jsonl`` (one line per sample) and ``tasks.json`` (levels, summaries, errors).

    Non-finite numbers (the cost of a failed sample, the mean score of a task with no correct
    sample) are written as null.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    samples_path = out / "samples.jsonl"
    samples_path.write_text("".join(json.dumps(_finite_json(row), default=str, allow_nan=False) + "\n"
                                    for row in results["samples"]))
    tasks_path = out / "tasks.json"
    summary = {k: v for k, v in results.items() if k != "samples"}
    tasks_path.write_text(json.dumps(_finite_json(summary), indent=2, default=str, allow_nan=False) + "\n")
    return {"samples": samples_path, "tasks": tasks_path}
