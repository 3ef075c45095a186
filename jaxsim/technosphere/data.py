"""The shipped series of world primary energy consumption, with its provenance.

``data/world_primary_energy.csv`` starts with ``# key: value`` header lines (title, source,
units, method, note) followed by ``year,primary_energy_twh_per_year`` rows. Values before 1965
are Vaclav Smil's estimates and values from 1965 on come from the Energy Institute (formerly
BP) Statistical Review of World Energy, both as compiled by Our World in Data with the
"substituted" method and traditional biomass included.

Powers are converted with 1 TWh/yr = 1e12 Wh per Julian year = 3.6e15 J / 31557600 s
= 1.1408e8 W.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from jaxsim.technosphere import constants as tc

__all__ = ["EnergySeries", "load_world_primary_energy", "parse_energy_csv"]

_EXPECTED_COLUMNS = ["year", "primary_energy_twh_per_year"]


@dataclass(frozen=True)
class EnergySeries:
    """A yearly series of energy use.

    Attributes:
        years: calendar years, ascending, shape ``(n,)``.
        twh_per_year: energy use in TWh/yr, shape ``(n,)``.
        metadata: header fields of the file (title, source, units, method, note).
    """

    years: np.ndarray
    twh_per_year: np.ndarray
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def watts(self) -> np.ndarray:
        """Mean power in W, ``twh_per_year * 1e12 * 3600 / 31557600``."""
        return self.twh_per_year * tc.WATTS_PER_TWH_PER_YEAR.value


def parse_energy_csv(text: str, *, origin: str = "<text>") -> EnergySeries:
    """Parse a CSV with ``# key: value`` header lines and ``year,primary_energy_twh_per_year`` rows.

    Raises:
        ValueError: when the header lacks ``source`` or ``units``, the units are not TWh/yr,
            the columns differ, a value is not a positive finite number, or the years are
            not strictly ascending integers. The message names the line.
    """
    metadata: dict[str, str] = {}
    rows: list[tuple[int, float]] = []
    columns: list[str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            if not sep:
                raise ValueError(f"{origin} line {number}: header line {raw!r} is not of the form '# key: value'.")
            metadata[key.strip()] = value.strip()
            continue
        cells = [cell.strip() for cell in line.split(",")]
        if columns is None:
            columns = cells
            if columns != _EXPECTED_COLUMNS:
                raise ValueError(f"{origin} line {number}: expected columns {_EXPECTED_COLUMNS}, got {columns}.")
            continue
        if len(cells) != 2:
            raise ValueError(f"{origin} line {number}: expected 2 values, got {raw!r}.")
        try:
            year, value = int(cells[0]), float(cells[1])
        except ValueError as error:
            raise ValueError(f"{origin} line {number}: cannot parse {raw!r} as a year and a number.") from error
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{origin} line {number}: energy use must be positive and finite, got {value!r}.")
        rows.append((year, value))
    for key in ("source", "units"):
        if key not in metadata:
            raise ValueError(f"{origin}: the header has no '# {key}:' line; every data file must name it.")
    if metadata["units"] != "TWh/yr":
        raise ValueError(f"{origin}: units must be 'TWh/yr', got {metadata['units']!r}; convert the file.")
    if not rows:
        raise ValueError(f"{origin}: no data rows.")
    years = np.array([row[0] for row in rows])
    if np.any(np.diff(years) <= 0):
        raise ValueError(f"{origin}: years must be strictly ascending, got {years.tolist()}.")
    return EnergySeries(years, np.array([row[1] for row in rows], dtype=float), metadata)


def load_world_primary_energy(path: str | Path | None = None) -> EnergySeries:
    """Load world primary energy consumption, by default the series shipped with the package.

    Args:
        path: a CSV in the same format to read instead of the shipped one.
    """
    if path is None:
        text = resources.files("jaxsim.technosphere").joinpath("data/world_primary_energy.csv").read_text()
        origin = "world_primary_energy.csv"
    else:
        text = Path(path).read_text()
        origin = str(path)
    return parse_energy_csv(text, origin=origin)
