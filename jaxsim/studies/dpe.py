"""The ``dpe`` study: the built-in suite scored end to end, repeated to measure stability.

For every task the references are measured and grouped into levels, and the task's known
candidates are scored, ``repeats`` times from scratch (fresh processes each time). References
and candidates are measured in interleaved rounds of fresh processes (two per solution; one per
JAX candidate in quick mode), and the between-process noise of the references enters the
level split and the tie test (:mod:`jaxsim.dpe.levels`). Metrics:

- ``expected_level_accuracy``: share of (candidate, repeat) pairs placed as expected: at the
  level of the named reference, or failed when the candidate is expected to fail;
- ``score_repeat_std``: the largest, over tasks, standard deviation (ddof=1) of the task's
  score (mean DPS of its candidates, failures as 0) across repeats, in points out of 100;
  ``score_repeat_std_mean`` is the mean over tasks; the ``tasks`` table lists it per task,
  beside the mean between-process noise of the task's references;
- ``profiler``: 1 for instruction counts, 0 for wall time (the name is in the settings);
- ``level_count_stability``: share of tasks whose number of levels is the same in every repeat;
- ``candidate_pass_rate`` and the performance-input search's chosen scale and probe count.
"""

from __future__ import annotations

import numpy as np

from jaxsim.core.report import Report
from jaxsim.studies import register

# The quick run scores one task, the Simon oracle with this library's kernels: its 12 JAX processes
# per repeat need 1.5 to 4 s of CPU each. Plain-Python isolation runs in the input search.
QUICK_TASKS = ("simon_oracle",)
# Processes per JAX candidate in quick mode. The full study gives candidates two, like the
# references, because the minimum over one process is biased upwards against a minimum over two.
QUICK_JAX_SAMPLE_PROCESSES = 1


def _placement(evaluation, candidate) -> tuple[bool, int | None]:
    """Return whether the candidate landed as expected and the rank it was expected at."""
    score = next(s for s in evaluation.scores if s.sample_id.endswith("/" + candidate.name))
    if candidate.expected_reference is None:
        return (not score.correct), None
    expected_rank = None
    for level in evaluation.references.levels.levels:
        if candidate.expected_reference in level.members:
            expected_rank = level.rank
    return (score.correct and score.level == expected_rank), expected_rank


def _profilers(quick: bool):
    from jaxsim.dpe.isolation import Limits, single_cpu
    from jaxsim.dpe.profilers import select_profiler

    # Every solution process runs on one CPU, because on the 2-core VM XLA's hand-offs between
    # cores made the library's circuit take 2.1 ms per call in quiet periods and 5 to 11 ms in slow
    # ones, against 4.0 to 4.2 ms throughout on one CPU.
    limits = Limits(time_s=60.0, cpus=single_cpu())
    # Plain Python: two fresh processes per solution, run in interleaved rounds over the task's
    # references and candidates. A period of load on the shared machine then falls on one process
    # of several solutions, and the spread of the two per-process minima estimates the
    # between-process noise of the level split and the tie test. A Python process starts in
    # about 0.05 s, so the second process costs little. Calls shorter than about 30 ms are
    # repeated for 0.1 s per process (at most 100 calls), so that the minimum includes calls that
    # ran without being descheduled.
    # JAX: two processes per solution as well (one per candidate in quick mode), although a JAX
    # process needs 1.5 to 4 s of CPU to import JAX and this library and to compile. Calls are
    # repeated for 0.2 s. The untimed first call, which produces the output, is the warm-up, so
    # no further warm-up calls are made.
    python_choice = select_profiler("auto", processes=2, repeats=3, warmup=0, limits=limits, min_time_s=0.1,
                                    max_repeats=100)
    # The quick run measures JAX calls for 0.1 s, to stay within a minute.
    jax_choice = select_profiler("auto", processes=2, repeats=3, warmup=0, limits=limits,
                                 min_time_s=0.1 if quick else 0.2, max_repeats=100)
    return python_choice, jax_choice


def _levels_figure(report: Report, evaluations: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.45 * len(evaluations) + 1.5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for row, (task_id, evaluation) in enumerate(evaluations.items()):
        for level in evaluation.references.levels.levels:
            ax.scatter(level.costs, [row] * len(level.costs), color=colours[(level.rank - 1) % len(colours)], s=30)
        for score in evaluation.scores:
            if score.correct:
                ax.scatter([score.cost], [row + 0.25], marker="x", color="black", s=20)
    ax.set_xscale("log")
    ax.set_yticks(range(len(evaluations)), list(evaluations))
    unit = next(iter(evaluations.values())).references.levels.unit
    ax.set_xlabel(f"median cost per call ({unit}); dots: references coloured by level, x: candidates")
    ax.set_title("Reference levels and candidates, first repeat")
    report.add_figure("levels", fig)


@register("dpe", "Differential performance evaluation of the built-in suite, repeated for stability")
def run(report: Report) -> None:
    from jaxsim.dpe.evaluate import evaluate_task
    from jaxsim.dpe.inputs import find_performance_input
    from jaxsim.dpe.perf_events import instruction_counter_status
    from jaxsim.dpe.suite import builtin_tasks, get_task
    from jaxsim.dpe.tasks import Sample
    from jaxsim.core.progress import track

    quick = report.quick
    repeats = 2 if quick else 5
    tasks = [get_task(t) for t in QUICK_TASKS] if quick else builtin_tasks()
    python_choice, jax_choice = _profilers(quick)
    counter = instruction_counter_status()
    report.add_settings(
        repeats=repeats,
        tasks=[t.task_id for t in tasks],
        profiler=python_choice.profiler.name,
        profiler_reason=python_choice.reason,
        python_profiler=python_choice.profiler.describe(),
        jax_profiler=jax_choice.profiler.describe(),
        instruction_counter=counter.reason,
    )

    # results[task_id][repeat] = TaskEvaluation
    results: dict[str, list] = {t.task_id: [] for t in tasks}
    steps = [(task, r) for r in range(repeats) for task in tasks]
    for task, _ in track(steps, "dpe: scoring the suite"):
        profiler = (jax_choice if task.framework == "jax" else python_choice).profiler
        samples = [Sample(f"{task.task_id}/{c.name}", task.task_id, c.code) for c in task.candidates]
        sample_processes = QUICK_JAX_SAMPLE_PROCESSES if quick and task.framework == "jax" else None
        results[task.task_id].append(evaluate_task(task, samples, profiler, sample_processes=sample_processes))

    placements, level_rows, candidate_rows, task_rows = [], [], [], []
    task_score_std, stable_level_counts, correct_flags = [], [], []
    for task in tasks:
        evaluations = results[task.task_id]
        task_scores = [e.summary.mean_score for e in evaluations]
        std = float(np.std(task_scores, ddof=1)) if len(task_scores) > 1 else 0.0
        task_score_std.append(std)
        level_counts = [e.references.levels.n_levels for e in evaluations]
        stable_level_counts.append(len(set(level_counts)) == 1)
        first = evaluations[0].references.levels
        for level in first.levels:
            level_rows.append([task.task_id, level.rank, level.score, ", ".join(level.members),
                               level.representative.cost])
        for candidate in task.candidates:
            outcomes = [_placement(e, candidate) for e in evaluations]
            placements += [ok for ok, _ in outcomes]
            scores = [next(s for s in e.scores if s.sample_id.endswith("/" + candidate.name)) for e in evaluations]
            correct_flags += [s.correct for s in scores]
            candidate_rows.append([
                task.task_id, candidate.name, candidate.expected_reference or "(fails)",
                ",".join(str(r) if r is not None else "-" for _, r in outcomes),
                ",".join(str(s.level) if s.correct else s.status for s in scores),
                float(np.mean([s.score for s in scores])), float(np.std([s.score for s in scores])),
                sum(ok for ok, _ in outcomes) / len(outcomes),
            ])
        task_rows.append([task.task_id, task.framework, len(task.references), ",".join(map(str, level_counts)),
                          float(np.mean(task_scores)), std,
                          float(np.mean([e.references.levels.process_noise for e in evaluations]))])

    report.add_table("levels_first_repeat", ["task", "level", "cumulative_score", "members", "representative_cost"],
                     level_rows)
    report.add_table("candidates", ["task", "candidate", "expected_reference", "expected_level_per_repeat",
                                    "placed_level_per_repeat", "mean_score", "score_std", "accuracy"], candidate_rows)
    report.add_table("tasks", ["task", "framework", "references", "levels_per_repeat", "mean_score",
                               "score_repeat_std", "mean_process_noise"], task_rows)
    report.add_metric("expected_level_accuracy", float(np.mean(placements)))
    report.add_metric("score_repeat_std", float(np.max(task_score_std)))
    report.add_metric("score_repeat_std_mean", float(np.mean(task_score_std)))
    report.add_metric("profiler", 1 if python_choice.profiler.name == "instructions" else 0)
    report.add_metric("level_count_stability", float(np.mean(stable_level_counts)))
    report.add_metric("candidate_pass_rate", float(np.mean(correct_flags)))
    report.add_metric("n_tasks", len(tasks))
    report.add_metric("n_candidates", sum(len(t.candidates) for t in tasks))
    report.add_metric("mean_levels_per_task", float(np.mean([results[t.task_id][0].references.levels.n_levels
                                                              for t in tasks])))

    # Performance-exercising input: double the Fibonacci task's n until the slowest reference
    # (the big-integer loop) needs the budget per call.
    fib = get_task("fibonacci_mod")
    budget = 0.005 if quick else 0.03
    chosen = find_performance_input(fib, budget_s=budget, start_scale=4000 if quick else 1000, max_scale=2**20,
                                    cpus=python_choice.profiler.limits.cpus)
    report.add_metric("pe_input_scale", chosen.scale)
    report.add_metric("pe_input_probes", len(chosen.history))
    report.add_metric("pe_input_cost_s", chosen.cost_s)
    report.add_settings(pe_input_budget_s=budget)
    report.add_table("pe_input_search", ["scale", "status", "slowest_reference_s"],
                     [[h["scale"], h["status"], h.get("cost_s", float("nan"))] for h in chosen.history])

    _levels_figure(report, {t.task_id: results[t.task_id][0] for t in tasks})
    if python_choice.profiler.name != "instructions":
        report.add_note(f"instruction counts are unavailable here ({counter.reason}); costs are wall time, "
                        "so scores carry the machine's load noise")
