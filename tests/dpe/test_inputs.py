import pytest

from jaxsim.dpe.inputs import PerformanceInputError, find_performance_input
from jaxsim.dpe.tasks import task_from_dict

# References that sleep 5 * scale milliseconds: the cost doubles with the scale, and load only adds time.
SLEEPER = "import time\ndef f(n):\n    time.sleep(n / 200)\n    return n\n"
GENERATOR = "def generate(scale, seed):\n    return (scale,)\n"


def _task(references, generator=GENERATOR):
    return task_from_dict({"task_id": "t", "entry_point": "f", "generator": generator,
                           "references": [{"name": f"r{i}", "code": c} for i, c in enumerate(references)]})


def test_doubling_stops_at_budget():
    chosen = find_performance_input(_task([SLEEPER]), budget_s=0.03, start_scale=1, max_scale=64)
    # 5, 10, 20 ms stay under 30 ms unless the machine adds 10 ms to a sleep; 40 ms reaches it.
    assert chosen.scale == 8
    assert chosen.reached_budget
    assert [h["scale"] for h in chosen.history] == [1, 2, 4, 8]


def test_budget_never_reached_raises_or_returns_largest():
    task = _task([SLEEPER])
    with pytest.raises(PerformanceInputError, match="never reaches the budget"):
        find_performance_input(task, budget_s=10.0, start_scale=1, max_scale=2)
    chosen = find_performance_input(task, budget_s=10.0, start_scale=1, max_scale=2, require_budget=False)
    assert chosen.scale == 2
    assert not chosen.reached_budget


def test_invalid_input_keeps_last_valid_scale():
    failing = "import time\ndef f(n):\n    if n > 2:\n        raise ValueError('too big')\n    return n\n"
    chosen = find_performance_input(_task([failing]), budget_s=1.0, start_scale=1, max_scale=64,
                                    require_budget=False)
    assert chosen.scale == 2
    assert chosen.history[-1]["status"] == "error"


def test_disagreeing_references_stop_search():
    other = "def f(n):\n    return n + 1 if n >= 2 else n\n"
    chosen = find_performance_input(_task([SLEEPER, other]), budget_s=1.0, start_scale=1, max_scale=8,
                                    require_budget=False)
    assert chosen.scale == 1
    assert chosen.history[-1]["status"] == "references_disagree"


def test_first_scale_invalid_and_fixed_input_raise():
    with pytest.raises(PerformanceInputError, match="first scale"):
        find_performance_input(_task(["def f(n):\n    raise RuntimeError\n"]), budget_s=0.1, max_scale=4)
    fixed = task_from_dict({"task_id": "x", "entry_point": "f", "pe_input": [[1]], "references": [SLEEPER]})
    with pytest.raises(PerformanceInputError, match="fixed pe_input"):
        find_performance_input(fixed, budget_s=0.1)
