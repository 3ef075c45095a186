"""Performance-exercising inputs: grow a generator's scale by doubling until a budget is reached.

EvalPerf (Liu et al. 2024, "Evaluating Language Models for Efficient Code Generation",
arXiv:2408.06450) scores code on inputs large enough to separate algorithms. Here the input
generator ``generate(scale, seed)`` is called at scale s, 2s, 4s, ... Every input is checked by
running every reference on it in a fresh limited process: the references must finish and agree
with each other. The search stops at the first scale where the slowest reference needs at
least ``budget_s`` per call (fastest of two calls) or ``memory_budget_bytes`` of peak memory, or where an input is no
longer valid, and returns the largest valid input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jaxsim.dpe.check import outputs_match
from jaxsim.dpe.isolation import Limits, run_isolated
from jaxsim.dpe.tasks import Task

__all__ = ["PerformanceInput", "PerformanceInputError", "find_performance_input"]


class PerformanceInputError(ValueError):
    """Raised when no valid input reaches the budget; the message names the largest scale tried."""


@dataclass(frozen=True)
class PerformanceInput:
    """The chosen input.

    Attributes:
        scale: the generator's scale.
        cost_s: per-call time of the slowest reference at that scale.
        peak_rss_bytes: highest peak memory of the references' processes.
        reached_budget: whether the budget was reached (False only with ``require_budget=False``).
        history: one record per scale tried: scale, status, cost and memory.
    """

    scale: int
    cost_s: float
    peak_rss_bytes: int | None
    reached_budget: bool
    history: tuple[dict, ...] = field(default=(), repr=False)


# Each probe keeps the fastest of two calls: load on a shared machine only adds time.
_PROBE_REPEATS = 2


def _probe(task: Task, scale: int, limits: Limits) -> dict:
    spec = task.input_spec(scale)
    costs, memories, outputs = [], [], []
    for reference in task.references:
        outcome = run_isolated(reference.code, task.entry_point, spec, framework=task.framework, warmup=0,
                               repeats=_PROBE_REPEATS, limits=limits, keep_output=True)
        if not outcome.ok:
            return {"scale": scale, "status": outcome.status, "reference": reference.name, "message": outcome.message}
        costs.append(min(outcome.samples))
        memories.append(outcome.peak_rss_bytes or 0)
        outputs.append((reference.name, outcome.output, outcome.arrays))
    first_name, first, first_arrays = outputs[0]
    for name, output, arrays in outputs[1:]:
        if not outputs_match(first, first_arrays, output, arrays, task.check):
            return {"scale": scale, "status": "references_disagree", "reference": name,
                    "message": f"reference {name!r} disagrees with {first_name!r}"}
    return {"scale": scale, "status": "ok", "cost_s": max(costs), "peak_rss_bytes": max(memories)}


def find_performance_input(
    task: Task,
    *,
    budget_s: float,
    memory_budget_bytes: int | None = None,
    start_scale: int = 1,
    max_scale: int = 2**24,
    limits: Limits | None = None,
    cpus: tuple[int, ...] | None = None,
    require_budget: bool = True,
) -> PerformanceInput:
    """Double the generator's scale from ``start_scale`` until the slowest reference reaches a budget.

    Args:
        task: a task with a ``generator``.
        budget_s: per-call time of the slowest reference that ends the search, in seconds.
        memory_budget_bytes: peak memory that ends the search, or None.
        start_scale: the first scale tried.
        max_scale: the largest scale tried.
        limits: limits of each probing process (default: ``20 * budget_s + 30`` seconds on ``cpus``).
        cpus: CPU affinity of the probing processes when ``limits`` is not given (see
            :class:`Limits`); pass the profiler's CPUs so that the budget is met where solutions run.
        require_budget: raise when ``max_scale`` is passed without reaching a budget; with False,
            return the largest valid input with ``reached_budget=False``.

    Raises:
        PerformanceInputError: the task has fixed inputs, the first scale is already invalid, or
            (with ``require_budget``) no valid scale up to ``max_scale`` reaches the budget.
    """
    if task.generator is None:
        raise PerformanceInputError(f"task {task.task_id!r} has a fixed pe_input and no generator to scale.")
    if budget_s <= 0:
        raise ValueError(f"budget_s must be positive, got {budget_s}.")
    if start_scale < 1 or max_scale < start_scale:
        raise ValueError(f"need 1 <= start_scale <= max_scale, got start_scale={start_scale}, max_scale={max_scale}.")
    limits = limits or Limits(time_s=20 * budget_s + 30, cpus=cpus)
    history: list[dict] = []
    best: dict | None = None
    scale = start_scale
    while scale <= max_scale:
        record = _probe(task, scale, limits)
        history.append(record)
        if record["status"] != "ok":
            break
        best = record
        over_time = record["cost_s"] >= budget_s
        over_memory = memory_budget_bytes is not None and record["peak_rss_bytes"] >= memory_budget_bytes
        if over_time or over_memory:
            return PerformanceInput(scale, record["cost_s"], record["peak_rss_bytes"], True, tuple(history))
        scale *= 2
    if best is None:
        last = history[-1]
        raise PerformanceInputError(
            f"task {task.task_id!r}: the input at the first scale {start_scale} is invalid "
            f"({last['status']}: {last.get('message', '')}); fix the generator or the references."
        )
    last = history[-1]
    stop = "max_scale reached" if last["status"] == "ok" else f"{last['status']} at scale {last['scale']}"
    if require_budget:
        raise PerformanceInputError(
            f"task {task.task_id!r}: the generator never reaches the budget of {budget_s:g} s per call; the largest "
            f"valid scale {best['scale']} took {best['cost_s']:.3g} s (stopped: {stop}, max_scale={max_scale}). "
            "Raise max_scale or lower budget_s."
        )
    return PerformanceInput(best["scale"], best["cost_s"], best["peak_rss_bytes"], False, tuple(history))
