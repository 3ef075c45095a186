"""Progress bars for long steps, drawn with rich.

Bars are hidden when ``JAXSIM_PROGRESS=0`` is set, which keeps logs of batch jobs clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

__all__ = ["track", "progress_bar", "progress_enabled"]

T = TypeVar("T")


def progress_enabled() -> bool:
    """Return whether progress bars are shown (``JAXSIM_PROGRESS`` unset or not ``0``)."""
    return os.environ.get("JAXSIM_PROGRESS", "1") != "0"


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not progress_enabled(),
    )


def track(iterable: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Yield from ``iterable`` while showing a progress bar labelled ``description``."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        for item in iterable:
            yield item
            progress.advance(task)


@contextmanager
def progress_bar(description: str, total: int):
    """Show a bar for manual updates; yields ``advance(n=1)``.

    Example::

        with progress_bar("training", total=steps) as advance:
            for _ in range(steps):
                ...
                advance()
    """
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
