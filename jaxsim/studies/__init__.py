"""Registry of studies run by ``jaxsim run``.

A study is a function ``run(report: Report) -> None`` that fills a
:class:`~jaxsim.core.report.Report` with metrics, settings, tables and figures. It reads
``report.seed`` and ``report.quick`` (shrink everything to seconds) and writes figures into
``report.out_dir``. Each module in this package registers its study on import::

    from jaxsim.studies import register

    @register("technosphere", "Growth of a technosphere fitted to world energy use")
    def run(report):
        ...

:func:`discover` imports every module here, so a new study needs only a new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from jaxsim.core.report import Report

__all__ = ["Study", "register", "discover", "get_study", "StudyNotFoundError"]


@dataclass(frozen=True)
class Study:
    """A registered study: its name, a one-line description and its run function."""

    name: str
    description: str
    run: Callable[[Report], None]
    module: str


class StudyNotFoundError(ValueError):
    """Raised for a study name that is not registered."""


_REGISTRY: dict[str, Study] = {}


def register(name: str, description: str) -> Callable[[Callable[[Report], None]], Callable[[Report], None]]:
    """Register ``run(report)`` as the study ``name``; use as a decorator."""

    def decorator(run: Callable[[Report], None]) -> Callable[[Report], None]:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.module != run.__module__:
            raise ValueError(f"study {name!r} is registered twice, by {existing.module} and {run.__module__}.")
        _REGISTRY[name] = Study(name, description, run, run.__module__)
        return run

    return decorator


def discover() -> dict[str, Study]:
    """Import every study module in this package and return the registry, sorted by name."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    return dict(sorted(_REGISTRY.items()))


def get_study(name: str) -> Study:
    """Return the registered study ``name``.

    Raises:
        StudyNotFoundError: if no study has that name; the message lists the known ones.
    """
    studies = discover()
    if name not in studies:
        known = ", ".join(studies) or "(none registered)"
        raise StudyNotFoundError(f"unknown study {name!r}; known studies: {known}.")
    return studies[name]
