"""The ``jaxsim`` command: list and run the registered studies.

    jaxsim list
    jaxsim run STUDY [--out DIR] [--seed N] [--quick]
    jaxsim run all   [--out DIR] [--seed N] [--quick]

``run`` writes ``report.json`` and PNG figures into DIR (default
``runs/STUDY-<timestamp>/``; with ``all``, one subfolder per study under DIR), prints the
metrics as a table and exits non-zero if any study failed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaxsim", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser("list", help="list the registered studies")

    run = commands.add_parser("run", help="run one study, or every study with 'all'")
    run.add_argument("study", help="study name from 'jaxsim list', or 'all'")
    run.add_argument("--out", type=Path, default=None, help="output folder (default runs/STUDY-<timestamp>)")
    run.add_argument("--seed", type=int, default=0, help="seed for every random number the study draws (default 0)")
    run.add_argument("--quick", action="store_true", help="shrink the study to seconds, for smoke tests")

    from jaxsim.dpe.cli import add_dpe_parser

    add_dpe_parser(commands)
    return parser


def _print_metrics(console: Console, study: str, metrics: dict, seconds: float) -> None:
    table = Table(title=f"{study} ({seconds:.1f} s)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.6g}" if isinstance(value, float) else str(value))
    console.print(table)


def _run_one(console: Console, study, out_dir: Path, seed: int, quick: bool) -> bool:
    from jaxsim.core.report import Report

    report = Report(study.name, out_dir, seed=seed, quick=quick)
    console.print(f"[bold]running {study.name}[/bold]: {study.description}")
    start = time.perf_counter()
    try:
        study.run(report)
    except Exception:
        console.print(f"[red]study {study.name} failed:[/red]")
        console.print(traceback.format_exc())
        report.add_note("the study raised an exception; see the command's output")
        report.add_metric("failed", True)
        report.write()
        return False
    report.add_metric("wall_time_s", time.perf_counter() - start)
    path = report.write()
    _print_metrics(console, study.name, report.metrics, time.perf_counter() - start)
    console.print(f"report: {path}")
    return True


def _run(args: argparse.Namespace, console: Console) -> int:
    from jaxsim.studies import StudyNotFoundError, discover, get_study

    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.study == "all":
        studies = list(discover().values())
        if not studies:
            console.print("[red]no studies are registered[/red]")
            return 1
        root = args.out if args.out is not None else Path("runs") / f"all-{stamp}"
        targets = [(study, root / study.name) for study in studies]
    else:
        try:
            study = get_study(args.study)
        except StudyNotFoundError as error:
            console.print(f"[red]{error}[/red]")
            return 2
        out = args.out if args.out is not None else Path("runs") / f"{study.name}-{stamp}"
        targets = [(study, out)]

    failed = [study.name for study, out in targets if not _run_one(console, study, out, args.seed, args.quick)]
    if failed:
        console.print(f"[red]failed studies: {', '.join(failed)}[/red]")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``jaxsim`` command with ``argv`` (default ``sys.argv[1:]``) and return its exit code."""
    args = build_parser().parse_args(argv)
    console = Console()
    if args.command == "list":
        from jaxsim.studies import discover

        # Plain print, one study a line, so that scripts can read the names from the output.
        for study in discover().values():
            print(f"{study.name:20s} {study.description}")
        return 0
    if args.command == "run":
        return _run(args, console)
    if args.command == "dpe":
        from jaxsim.dpe.cli import run_dpe

        return run_dpe(args, console)
    return 2


if __name__ == "__main__":
    sys.exit(main())
