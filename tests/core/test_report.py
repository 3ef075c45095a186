import json

import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from jaxsim.core.report import Report  # noqa: E402


def test_report_round_trip(tmp_path):
    report = Report("demo", tmp_path / "out", seed=7, quick=True)
    report.add_metric("rate", jnp.float32(0.25))
    report.add_metrics({"count": 3, "ok": True, "missing": float("nan")})
    report.add_settings(n=10, grid=jnp.arange(3))
    report.add_table("years", ["limit", "years"], [["planet", 120.5], ["star", 900.0]])
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    report.add_figure("line", fig)
    report.add_note("a known limitation")
    path = report.write()

    data = json.loads(path.read_text())
    assert data["metrics"]["rate"] == 0.25
    assert data["metrics"]["missing"] == "nan"
    assert data["environment"]["seed"] == 7
    assert {"jaxsim", "jax", "jaxlib", "devices"} <= set(data["environment"])
    assert (tmp_path / "out" / "line.png").stat().st_size > 0

    loaded = Report.load(tmp_path / "out")
    assert loaded.metrics["count"] == 3
    assert loaded.metrics["ok"] is True
    assert loaded.metrics["missing"] != loaded.metrics["missing"]
    assert loaded.settings["grid"] == [0, 1, 2]
    assert loaded.tables["years"]["rows"][1] == ["star", 900.0]
    assert loaded.figures == ["line.png"]
    assert loaded.notes == ["a known limitation"]


def test_report_rejects_arrays_and_ragged_rows(tmp_path):
    report = Report("demo", tmp_path)
    with pytest.raises(ValueError, match="single number"):
        report.add_metric("vector", jnp.ones(3))
    with pytest.raises(ValueError, match="has 1 entries but the table has 2 columns"):
        report.add_table("t", ["a", "b"], [[1]])
