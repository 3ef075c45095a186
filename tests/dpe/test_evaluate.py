import json

import pytest

from jaxsim import cli
from jaxsim.dpe.evaluate import TaskError, evaluate, evaluate_task, measure_references, write_results
from jaxsim.dpe.isolation import single_cpu
from jaxsim.dpe.profilers import WallTimeProfiler
from jaxsim.dpe.tasks import Sample, task_from_dict, write_tasks


def _sleeper(ms):
    return f"import time\ndef f(x):\n    time.sleep({ms} / 1000)\n    return x * 2\n"


# time.sleep never returns early, so minimum times of 40, 10 and 2.5 ms keep their 4x gaps
# under any load. Those gaps (0.75) exceed the capped threshold 0.6, which fixes the levels.
TASK = task_from_dict({
    "task_id": "double",
    "entry_point": "f",
    "pe_input": [[21]],
    "references": [{"name": "slow", "code": _sleeper(40)}, {"name": "mid", "code": _sleeper(10)},
                   {"name": "fast", "code": _sleeper(2.5)},
                   {"name": "wrong", "code": "def f(x):\n    return x\n"}],
})
PROFILER = WallTimeProfiler(processes=1, repeats=3, warmup=0)


@pytest.fixture(scope="module")
def results():
    samples = [
        Sample("fast", "double", _sleeper(1)),
        Sample("mid", "double", _sleeper(10)),
        Sample("wrong", "double", "def f(x):\n    return x + 1\n"),
        Sample("crash", "double", "import os\ndef f(x):\n    os._exit(1)\n"),
        Sample("missing", "double", "def g(x):\n    return 2 * x\n"),
        Sample("orphan", "no-such-task", _sleeper(1)),
    ]
    return evaluate([TASK], samples, PROFILER)


def test_levels_exclude_disagreeing_reference(results):
    record = results["tasks"][0]
    assert [lv["members"] for lv in record["levels"]["levels"]] == [["slow"], ["mid"], ["fast"]]
    assert "wrong" in record["excluded_references"]


def test_sample_statuses_and_scores(results):
    rows = {row["sample_id"]: row for row in results["samples"]}
    assert (rows["fast"]["level"], rows["fast"]["score"]) == (3, 100.0)
    assert rows["mid"]["level"] == 2
    assert rows["mid"]["score"] == pytest.approx(200 / 3)
    assert rows["wrong"]["status"] == "wrong_output"
    assert rows["crash"]["status"] == "crash"
    assert rows["missing"]["status"] == "missing_entry_point"
    assert rows["orphan"]["status"] == "unknown_task"
    assert all(rows[k]["score"] == 0.0 for k in ("wrong", "crash", "missing", "orphan"))
    summary = results["tasks"][0]["summary"]
    assert summary["n_samples"] == 5
    assert summary["pass_rate"] == pytest.approx(2 / 5)
    assert "no-such-task" in results["errors"]


def test_write_results_files(results, tmp_path):
    paths = write_results(results, tmp_path)
    lines = paths["samples"].read_text().splitlines()
    assert len(lines) == 6
    assert json.loads(lines[0])["sample_id"] == "fast"
    assert json.loads(paths["tasks"].read_text())["tasks"][0]["task_id"] == "double"


def test_task_without_working_reference_raises():
    broken = task_from_dict({"task_id": "b", "entry_point": "f", "pe_input": [[1]],
                             "references": ["def f(x):\n    raise ValueError\n"]})
    with pytest.raises(TaskError, match="no reference ran"):
        measure_references(broken, PROFILER)


def test_cli_tasks_and_evaluate(tmp_path, capsys):
    assert cli.main(["dpe", "tasks", "--framework", "jax", "--export", str(tmp_path / "t.jsonl")]) == 0
    assert "simon_oracle" in capsys.readouterr().out
    tasks_path = write_tasks([TASK], tmp_path / "tasks.jsonl")
    samples_path = tmp_path / "samples.jsonl"
    samples_path.write_text(json.dumps({"task_id": "double", "sample_id": "s", "solution": _sleeper(1)}) + "\n")
    out = tmp_path / "out"
    code = cli.main(["dpe", "evaluate", "--tasks", str(tasks_path), "--samples", str(samples_path), "--out", str(out),
                     "--profiler", "wall", "--processes", "1", "--repeats", "2"])
    assert code == 0
    row = json.loads((out / "samples.jsonl").read_text().splitlines()[0])
    assert (row["sample_id"], row["level"]) == ("s", 3)
    # By default every solution process runs on one CPU.
    cpus = json.loads((out / "tasks.json").read_text())["profiler"]["cpus"]
    assert cpus == (list(single_cpu()) if single_cpu() is not None else None)
    assert cli.main(["dpe", "evaluate", "--tasks", str(tasks_path), "--samples", str(samples_path), "--out", str(out),
                     "--cpus", "first"]) == 2
    assert "--cpus 'first'" in capsys.readouterr().out
    assert cli.main(["dpe", "evaluate", "--tasks", str(tmp_path / "none.jsonl"), "--samples", str(samples_path),
                     "--out", str(out)]) == 2
    assert "not found" in capsys.readouterr().out


def test_missing_scale_is_searched():
    task = task_from_dict({
        "task_id": "scaled",
        "entry_point": "f",
        "generator": "def generate(scale, seed):\n    return (scale,)\n",
        "references": ["import time\ndef f(n):\n    time.sleep(n / 200)\n    return n\n"],
    })
    result = evaluate_task(task, [Sample("s", "scaled", "def f(n):\n    return n\n")], PROFILER, pe_budget_s=0.02)
    # Sleeps of 5, 10, 20 ms at scales 1, 2, 4: the search stops at 4 unless load adds 10 ms to a sleep.
    assert result.scale in (2, 4)
    assert result.scores[0].correct
    assert result.to_dict()["scale"] == result.scale
