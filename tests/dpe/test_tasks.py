import json

import pytest

from jaxsim.dpe.suite import builtin_tasks, get_task
from jaxsim.dpe.tasks import TaskFormatError, load_samples, load_tasks, task_from_dict, write_tasks

NATIVE = {
    "task_id": "add",
    "entry_point": "add",
    "references": [{"name": "plus", "code": "def add(a, b):\n    return a + b\n"}],
    "pe_input": [[1, 2], [3, 4]],
}


def test_evalperf_fields_map_to_task():
    record = {
        "task_id": "HumanEval/0",
        "prompt": "def add(a, b):\n",
        "entry_point": "add",
        "solutions": ["def add(a, b):\n    return a + b\n", "def add(a, b):\n    return sum([a, b])\n"],
        "pe_input": "[[1, 2], [1000000, 3]]",
        "scores": [50, 100],
    }
    task = task_from_dict(record)
    assert [r.name for r in task.references] == ["ref0", "ref1"]
    assert task.pe_input == ((1, 2), (1_000_000, 3))
    assert task.input_spec() == {"kind": "fixed", "calls": [[1, 2], [1_000_000, 3]]}
    assert task.extra == {"scores": [50, 100]}


def test_jsonl_round_trip(tmp_path):
    tasks = builtin_tasks()[:2] + [task_from_dict(NATIVE)]
    path = write_tasks(tasks, tmp_path / "tasks.jsonl")
    loaded = load_tasks(path)
    assert [t.task_id for t in loaded] == [t.task_id for t in tasks]
    assert loaded[0].references == tasks[0].references
    assert loaded[0].candidates == tasks[0].candidates
    assert loaded[2].pe_input == ((1, 2), (3, 4))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"references": []}, "no reference solutions"),
        ({"entry_point": "not a name"}, "entry_point"),
        ({"pe_input": "[[1, 2"}, "not a Python literal"),
        ({"pe_input": [1, 2]}, "list of argument lists"),
        ({"pe_input": None}, "has no input"),
        ({"framework": "torch"}, "framework"),
        ({"scale": 0, "pe_input": None, "generator": "def generate(s, seed):\n    return (s,)\n"}, "scale"),
        ({"candidates": [{"name": "c", "code": "x", "expected_reference": "nope"}]}, "does not exist"),
        ({"check": {"kind": "fuzzy"}}, "check kind"),
    ],
)
def test_bad_task_records_raise(change, message):
    with pytest.raises(TaskFormatError, match=message):
        task_from_dict(NATIVE | change)


def test_load_tasks_reports_line(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(NATIVE) + "\n" + json.dumps(NATIVE) + "\n")
    with pytest.raises(TaskFormatError, match="appears twice"):
        load_tasks(path)
    path.write_text("{not json\n")
    with pytest.raises(TaskFormatError, match=":1: invalid JSON"):
        load_tasks(path)
    with pytest.raises(FileNotFoundError):
        load_tasks(tmp_path / "missing.jsonl")


def test_samples_completion_appends_prompt(tmp_path):
    task = task_from_dict(NATIVE | {"prompt": "def add(a, b):\n"})
    path = tmp_path / "samples.jsonl"
    path.write_text(json.dumps({"task_id": "add", "completion": "    return a + b\n"}) + "\n"
                    + json.dumps({"task_id": "other", "solution": "x = 1", "sample_id": "s2"}) + "\n")
    samples = load_samples(path, [task])
    assert samples[0].code == "def add(a, b):\n    return a + b\n"
    assert samples[0].sample_id == "add#0"
    assert samples[1].task_id == "other"
    path.write_text(json.dumps({"task_id": "add"}) + "\n")
    with pytest.raises(TaskFormatError, match="no 'solution'"):
        load_samples(path)


def test_builtin_suite_shape():
    tasks = builtin_tasks()
    assert len(tasks) >= 12
    assert len({t.task_id for t in tasks}) == len(tasks)
    assert {t.framework for t in tasks} == {"python", "jax"}
    for task in tasks:
        assert len(task.references) >= 4, task.task_id
        assert task.candidates, task.task_id
        names = {r.name for r in task.references}
        assert all(c.expected_reference is None or c.expected_reference in names for c in task.candidates)
    assert get_task("simon_oracle").framework == "jax"
    with pytest.raises(KeyError, match="known tasks"):
        get_task("nope")
