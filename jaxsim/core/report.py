"""A study's report: metrics, settings, tables and figures, written as report.json and PNGs.

Layout of ``report.json``::

    {"study": str, "metrics": {name: number}, "settings": {...},
     "tables": {name: {"columns": [...], "rows": [[...], ...]}},
     "figures": [file names], "environment": {...}}

Figures are PNG files in the same folder. ``Report.load`` reads a report back.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import platform
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Report", "environment_record"]


def environment_record(seed: int | None = None) -> dict[str, Any]:
    """Describe the software and devices a result came from."""
    import jax
    import jaxlib

    import jaxsim

    devices = jax.devices()
    return {
        "jaxsim": jaxsim.__version__,
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "backend": jax.default_backend(),
        "devices": [str(d) for d in devices],
        "device_count": len(devices),
        "x64": bool(jax.config.jax_enable_x64),
        "seed": seed,
        "time_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def _to_number(name: str, value: Any) -> float | int | bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    array = np.asarray(value)
    if array.size != 1:
        raise ValueError(f"metric {name!r} must be a single number, got an array of shape {array.shape}.")
    number = array.item()
    if isinstance(number, (int, np.integer)):
        return int(number)
    if isinstance(number, (float, np.floating)):
        return float(number)
    raise ValueError(f"metric {name!r} must be a number, got {type(number).__name__} {number!r}.")


def _to_json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if isinstance(value, (str, bool, type(None))):
        return value
    if isinstance(value, Path):
        return str(value)
    array = np.asarray(value)
    if array.dtype.kind in "biuf":
        if array.ndim == 0:
            item = array.item()
            if isinstance(item, float) and not math.isfinite(item):
                return str(item)
            return item
        return [_to_json(v) for v in array.tolist()]
    return str(value)


class Report:
    """Results of one study run, written to one folder.

    Args:
        study: the study's registered name.
        out_dir: folder for report.json and the figures; created when written.
        seed: the seed the study used, recorded in the environment.
        quick: whether the study ran in its shrunken smoke-test mode.
    """

    def __init__(self, study: str, out_dir: str | Path, *, seed: int = 0, quick: bool = False):
        self.study = study
        self.out_dir = Path(out_dir)
        self.seed = seed
        self.quick = quick
        self.metrics: dict[str, float | int | bool] = {}
        self.settings: dict[str, Any] = {"seed": seed, "quick": quick}
        self.tables: dict[str, dict[str, list]] = {}
        self.figures: list[str] = []
        self.notes: list[str] = []
        self.environment: dict[str, Any] = {}

    def add_metric(self, name: str, value: Any) -> None:
        """Record one metric; ``value`` must be a single number (a scalar array is fine).

        A non-finite value is kept as a float (NaN or inf) and written as a string, so a
        failed quantity stays visible in the report instead of disappearing.
        """
        self.metrics[name] = _to_number(name, value)

    def add_metrics(self, metrics: Mapping[str, Any]) -> None:
        """Record several metrics at once."""
        for name, value in metrics.items():
            self.add_metric(name, value)

    def add_settings(self, **settings: Any) -> None:
        """Record the settings the study ran with."""
        self.settings.update({k: _to_json(v) for k, v in settings.items()})

    def add_table(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Record a table of rows, each with one entry per column."""
        columns = [str(c) for c in columns]
        rows = [list(row) for row in rows]
        for i, row in enumerate(rows):
            if len(row) != len(columns):
                raise ValueError(
                    f"row {i} of table {name!r} has {len(row)} entries but the table has {len(columns)} columns."
                )
        self.tables[name] = {"columns": columns, "rows": _to_json(rows)}

    def add_figure(self, name: str, figure: Any, *, dpi: int = 120) -> Path:
        """Save a matplotlib figure as ``NAME.png`` in the report folder and close it."""
        import matplotlib.pyplot as plt

        self.out_dir.mkdir(parents=True, exist_ok=True)
        path = self.out_dir / f"{name}.png"
        figure.savefig(path, dpi=dpi, bbox_inches="tight")
        plt.close(figure)
        if path.name not in self.figures:
            self.figures.append(path.name)
        return path

    def add_note(self, text: str) -> None:
        """Record a sentence that a reader of the report needs, such as a known limitation."""
        self.notes.append(text)

    def to_dict(self) -> dict[str, Any]:
        return {
            "study": self.study,
            "metrics": {k: _to_json(v) for k, v in self.metrics.items()},
            "settings": _to_json(self.settings),
            "tables": self.tables,
            "figures": list(self.figures),
            "notes": list(self.notes),
            "environment": self.environment or environment_record(self.seed),
        }

    def write(self) -> Path:
        """Write ``report.json`` into ``out_dir`` and return its path."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if not self.environment:
            self.environment = environment_record(self.seed)
        path = self.out_dir / "report.json"
        path.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Report:
        """Read a report written by :meth:`write`; ``path`` is report.json or its folder."""
        path = Path(path)
        if path.is_dir():
            path = path / "report.json"
        data = json.loads(path.read_text())
        report = cls(data["study"], path.parent, seed=data["settings"].get("seed", 0),
                     quick=data["settings"].get("quick", False))
        report.metrics = {k: (float(v) if isinstance(v, str) else v) for k, v in data["metrics"].items()}
        report.settings = data["settings"]
        report.tables = data["tables"]
        report.figures = data["figures"]
        report.notes = data.get("notes", [])
        report.environment = data["environment"]
        return report
