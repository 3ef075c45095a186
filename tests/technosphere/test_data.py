"""The shipped world primary energy series and its parser."""

import numpy as np
import pytest

from jaxsim.technosphere import load_world_primary_energy, parse_energy_csv

GIVEN = {1800: 5653, 1850: 7791, 1900: 12128, 1950: 28516, 1965: 52399, 1980: 87599, 2000: 122073, 2010: 152249,
         2019: 173340}


def test_shipped_values_and_provenance():
    series = load_world_primary_energy()
    assert dict(zip(series.years.tolist(), series.twh_per_year.tolist())) == GIVEN
    assert series.metadata["units"] == "TWh/yr"
    assert "Smil" in series.metadata["source"]
    assert "Statistical Review" in series.metadata["source"]
    assert "substituted" in series.metadata["method"]


def test_watts_conversion():
    series = load_world_primary_energy()
    # 173,340 TWh/yr * 3.6e15 J / 31,557,600 s = 1.97741e13 W.
    assert series.watts[-1] == pytest.approx(173_340 * 3.6e15 / 31_557_600, rel=1e-12)
    assert series.watts[-1] == pytest.approx(1.97741e13, rel=1e-5)


HEADER = "# source: test\n# units: TWh/yr\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("# units: TWh/yr\nyear,primary_energy_twh_per_year\n2000,1\n", "source"),
        ("# source: x\n# units: EJ/yr\nyear,primary_energy_twh_per_year\n2000,1\n", "units"),
        (HEADER + "year,energy\n2000,1\n", "columns"),
        (HEADER + "year,primary_energy_twh_per_year\n2000,-5\n", "positive"),
        (HEADER + "year,primary_energy_twh_per_year\n2000,nan\n", "positive"),
        (HEADER + "year,primary_energy_twh_per_year\n2000,1\n1990,2\n", "ascending"),
        (HEADER + "year,primary_energy_twh_per_year\n2000,abc\n", "cannot parse"),
        (HEADER + "year,primary_energy_twh_per_year\n", "no data"),
        ("# source x\n", "header line"),
    ],
)
def test_parser_rejects_bad_files(text, match):
    with pytest.raises(ValueError, match=match):
        parse_energy_csv(text)


def test_parser_reads_a_custom_file(tmp_path):
    path = tmp_path / "energy.csv"
    path.write_text(HEADER + "year,primary_energy_twh_per_year\n2000,10\n2001,20\n")
    series = load_world_primary_energy(path)
    np.testing.assert_array_equal(series.years, [2000, 2001])
    np.testing.assert_allclose(series.twh_per_year, [10.0, 20.0])
