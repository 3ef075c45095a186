import json

import pytest

from jaxsim import cli
from jaxsim.studies import StudyNotFoundError, discover, get_study, register


def test_unknown_study_lists_known_ones(capsys):
    with pytest.raises(StudyNotFoundError, match="known studies"):
        get_study("no-such-study")
    assert cli.main(["run", "no-such-study"]) == 2
    assert "unknown study" in capsys.readouterr().out


def test_run_writes_report_for_registered_study(tmp_path):
    @register("cli-test-study", "writes one metric")
    def run(report):
        report.add_metric("answer", 42)
        report.add_settings(quick_seen=report.quick)

    try:
        assert cli.main(["run", "cli-test-study", "--out", str(tmp_path), "--quick", "--seed", "5"]) == 0
        data = json.loads((tmp_path / "report.json").read_text())
        assert data["metrics"]["answer"] == 42
        assert data["settings"]["quick_seen"] is True
        assert data["environment"]["seed"] == 5
    finally:
        from jaxsim import studies

        studies._REGISTRY.pop("cli-test-study")


def test_failing_study_exits_nonzero(tmp_path):
    @register("cli-failing-study", "raises")
    def run(report):
        raise RuntimeError("boom")

    try:
        assert cli.main(["run", "cli-failing-study", "--out", str(tmp_path)]) == 1
        data = json.loads((tmp_path / "report.json").read_text())
        assert data["metrics"]["failed"] is True
    finally:
        from jaxsim import studies

        studies._REGISTRY.pop("cli-failing-study")


def test_list_prints_every_study(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    for name in discover():
        assert name in out
