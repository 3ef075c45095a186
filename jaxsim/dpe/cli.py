"""The ``jaxsim dpe`` command: list the built-in tasks and score samples against references.

    jaxsim dpe tasks [--framework python|jax] [--export FILE] [--export-candidates FILE]
    jaxsim dpe evaluate --tasks FILE|builtin --samples FILE --out DIR [options]

``evaluate`` writes ``samples.jsonl`` (one scored sample per line) and ``tasks.json`` (levels,
reference measurements, per-task summaries and errors) into DIR. A failing sample, an unknown
task id or a task that cannot be scored is reported in those files, not raised.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

__all__ = ["add_dpe_parser", "run_dpe"]


def add_dpe_parser(commands) -> argparse.ArgumentParser:
    """Add the ``dpe`` subcommand to an ``argparse`` subparsers object."""
    dpe = commands.add_parser("dpe", help="differential performance evaluation of code against references")
    actions = dpe.add_subparsers(dest="dpe_command", required=True)

    tasks = actions.add_parser("tasks", help="list the built-in task suite")
    tasks.add_argument("--framework", choices=("python", "jax"), default=None, help="list only tasks of one framework")
    tasks.add_argument("--export", type=Path, default=None, help="write the listed tasks as JSONL to this file")
    tasks.add_argument("--export-candidates", type=Path, default=None,
                       help="write the tasks' known candidates as a samples JSONL file")

    evaluate = actions.add_parser("evaluate", help="score samples against the references of their tasks")
    evaluate.add_argument("--tasks", required=True,
                          help="task JSONL file (native or EvalPerf fields), or 'builtin' for the built-in suite")
    evaluate.add_argument("--samples", type=Path, required=True,
                          help="samples JSONL: {task_id, solution | completion, sample_id}")
    evaluate.add_argument("--out", type=Path, required=True, help="output folder for samples.jsonl and tasks.json")
    evaluate.add_argument("--profiler", choices=("auto", "wall", "instructions"), default="auto",
                          help="cost measure; auto uses instruction counts where perf events allow (default auto)")
    evaluate.add_argument("--processes", type=int, default=3, help="fresh processes per solution (default 3)")
    evaluate.add_argument("--repeats", type=int, default=5, help="measured calls per process (default 5)")
    evaluate.add_argument("--warmup", type=int, default=1, help="untimed calls per process (default 1)")
    evaluate.add_argument("--time-limit", type=float, default=60.0,
                          help="wall-clock limit per process in seconds (default 60)")
    evaluate.add_argument("--memory-limit-gib", type=float, default=16.0,
                          help="address-space limit per process in GiB; 0 for none (default 16, room for XLA)")
    evaluate.add_argument("--cpus", default="one",
                          help="CPUs each solution process runs on: 'one' (the highest-numbered CPU, so wall time "
                          "sums all threads and cores do not hand work to each other), 'all', or a comma-separated "
                          "list such as 2,3 (default one)")
    evaluate.add_argument("--base", type=float, default=None, help="relative gap a level split needs above the noise "
                          "allowance (default 0.1)")
    evaluate.add_argument("--alpha", type=float, default=0.05, help="significance level of the tie test (default 0.05)")
    evaluate.add_argument("--pe-budget", type=float, default=0.1,
                          help="for tasks with a generator and no scale: seconds per call of the slowest reference "
                          "at which the input search stops (default 0.1)")
    return dpe


def _list_tasks(args, console) -> int:
    from rich.table import Table

    from jaxsim.dpe.suite import builtin_tasks
    from jaxsim.dpe.tasks import write_tasks

    tasks = builtin_tasks(args.framework)
    table = Table(title=f"built-in dpe tasks ({len(tasks)})")
    for column in ("task_id", "framework", "refs", "candidates", "scale", "description"):
        table.add_column(column)
    for task in tasks:
        table.add_row(task.task_id, task.framework, str(len(task.references)), str(len(task.candidates)),
                      str(task.scale), task.description)
    console.print(table)
    if args.export is not None:
        console.print(f"tasks written to {write_tasks(tasks, args.export)}")
    if args.export_candidates is not None:
        args.export_candidates.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"task_id": t.task_id, "sample_id": f"{t.task_id}/{c.name}", "solution": c.code})
                 for t in tasks for c in t.candidates]
        args.export_candidates.write_text("".join(line + "\n" for line in lines))
        console.print(f"{len(lines)} candidate samples written to {args.export_candidates}")
    return 0


def _parse_cpus(text: str) -> tuple[int, ...] | None:
    """Return the CPU affinity that the ``--cpus`` value requests."""
    from jaxsim.dpe.isolation import single_cpu

    if text == "one":
        return single_cpu()
    if text == "all":
        return None
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"invalid --cpus {text!r}: use 'one', 'all' or a comma-separated list of CPU indices "
                         "such as 0,1.") from None


def _evaluate(args, console) -> int:
    from jaxsim.dpe.evaluate import evaluate, write_results
    from jaxsim.dpe.isolation import Limits
    from jaxsim.dpe.profilers import select_profiler
    from jaxsim.dpe.suite import builtin_tasks
    from jaxsim.dpe.tasks import TaskFormatError, load_samples, load_tasks

    try:
        tasks = builtin_tasks() if args.tasks == "builtin" else load_tasks(args.tasks)
        samples = load_samples(args.samples, tasks)
        memory = int(args.memory_limit_gib * 2**30) if args.memory_limit_gib > 0 else None
        choice = select_profiler(args.profiler, processes=args.processes, repeats=args.repeats, warmup=args.warmup,
                                 limits=Limits(time_s=args.time_limit, memory_bytes=memory,
                                               cpus=_parse_cpus(args.cpus)))
    except (FileNotFoundError, TaskFormatError, ValueError, RuntimeError) as error:
        console.print(f"[red]{error}[/red]")
        return 2
    console.print(f"profiler: {choice.profiler.name} ({choice.reason}); {len(samples)} samples, {len(tasks)} tasks")
    options = {"alpha": args.alpha, "pe_budget_s": args.pe_budget}
    if args.base is not None:
        options["base"] = args.base
    results = evaluate(tasks, samples, choice.profiler, **options)
    results["profiler_reason"] = choice.reason
    paths = write_results(results, args.out)
    for record in results["tasks"]:
        summary = record["summary"]
        console.print(f"{record['task_id']}: {len(record['levels']['levels'])} levels, mean score "
                      f"{summary['mean_score']:.1f}, pass rate {summary['pass_rate']:.2f}")
    for task_id, message in results["errors"].items():
        console.print(f"[yellow]{task_id}: {message}[/yellow]")
    console.print(f"results: {paths['samples']} and {paths['tasks']}")
    return 0


def run_dpe(args: argparse.Namespace, console) -> int:
    """Run a parsed ``jaxsim dpe`` command and return its exit code."""
    if args.dpe_command == "tasks":
        return _list_tasks(args, console)
    return _evaluate(args, console)
