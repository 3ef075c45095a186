"""Differential performance evaluation (DPE): how efficient is a piece of code, among references?

The method is EvalPerf's (Liu et al. 2024, "Evaluating Language Models for Efficient Code
Generation", arXiv:2408.06450): run every solution on a performance-exercising input, group the
reference solutions into efficiency levels by cost, and give a correct sample the cumulative
score of the fastest level it matches or beats. This package adds wall-time profiling with a
noise-aware split rule and a statistical tie test for machines without instruction counters,
and scores jitted JAX functions (compile time kept apart) as well as plain Python.

Modules:

- :mod:`~jaxsim.dpe.perf_events`: instruction counts via ``perf_event_open`` and ctypes.
- :mod:`~jaxsim.dpe.isolation`: one solution per limited subprocess, failures as statuses.
- :mod:`~jaxsim.dpe.profilers`: wall time and instruction profilers over fresh processes.
- :mod:`~jaxsim.dpe.stats`: median confidence interval, robust noise, Mann-Whitney U.
- :mod:`~jaxsim.dpe.levels`: clustering of references into levels.
- :mod:`~jaxsim.dpe.scoring`: sample scores and task summaries.
- :mod:`~jaxsim.dpe.tasks`: the JSONL task format, including EvalPerf's fields.
- :mod:`~jaxsim.dpe.inputs`: performance-exercising inputs by doubling a generator's scale.
- :mod:`~jaxsim.dpe.evaluate`: end-to-end evaluation and JSON output.
- :mod:`~jaxsim.dpe.suite`: the built-in tasks.

Names are imported on first use, so that ``jaxsim list`` does not pay for importing JAX.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CounterStatus": "perf_events",
    "PerfCounter": "perf_events",
    "PerfEventError": "perf_events",
    "instruction_counter_status": "perf_events",
    "Limits": "isolation",
    "RunOutcome": "isolation",
    "run_isolated": "isolation",
    "DEFAULT_MEMORY_LIMIT_BYTES": "isolation",
    "Measurement": "profilers",
    "Profiler": "profilers",
    "WallTimeProfiler": "profilers",
    "InstructionProfiler": "profilers",
    "select_profiler": "profilers",
    "median_ci": "stats",
    "mann_whitney_greater": "stats",
    "relative_noise": "stats",
    "ReferenceCost": "levels",
    "Level": "levels",
    "Levels": "levels",
    "cluster_levels": "levels",
    "noise_allowance": "levels",
    "SampleScore": "scoring",
    "TaskSummary": "scoring",
    "compare": "scoring",
    "score_sample": "scoring",
    "summarize_task": "scoring",
    "Task": "tasks",
    "Reference": "tasks",
    "Candidate": "tasks",
    "Sample": "tasks",
    "TaskFormatError": "tasks",
    "load_tasks": "tasks",
    "load_samples": "tasks",
    "task_from_dict": "tasks",
    "write_tasks": "tasks",
    "PerformanceInput": "inputs",
    "PerformanceInputError": "inputs",
    "find_performance_input": "inputs",
    "TaskError": "evaluate",
    "evaluate": "evaluate",
    "evaluate_task": "evaluate",
    "measure_references": "evaluate",
    "write_results": "evaluate",
    "builtin_tasks": "suite",
    "get_task": "suite",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'jaxsim.dpe' has no attribute {name!r}")
    module = importlib.import_module(f"jaxsim.dpe.{_EXPORTS[name]}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return __all__
