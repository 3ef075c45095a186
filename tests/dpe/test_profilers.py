import pytest

from jaxsim.dpe.perf_events import PERF_COUNT_SW_TASK_CLOCK, PERF_TYPE_SOFTWARE, instruction_counter_status
from jaxsim.dpe.profilers import InstructionProfiler, WallTimeProfiler, select_profiler

FIXED = {"kind": "fixed", "calls": [[0.01]]}
SLEEP = "import time\ndef f(seconds):\n    time.sleep(seconds)\n    return seconds\n"
STATUS = instruction_counter_status()


def test_wall_profiler_pools_processes():
    profiler = WallTimeProfiler(processes=2, repeats=3, warmup=0, min_time_s=0.0)
    measurement = profiler.measure(SLEEP, "f", FIXED, keep_output=True)
    assert measurement.ok
    assert len(measurement.samples) == 6
    assert len(measurement.process_medians) == 2
    # time.sleep(0.01) never returns early; load can only make calls longer.
    assert measurement.cost >= 0.01
    assert measurement.statistic == "min"
    assert measurement.ci_low <= measurement.median <= measurement.ci_high
    assert measurement.timing.median_s == pytest.approx(measurement.median)
    assert measurement.output == 0.01


def test_profiler_reports_failure_status():
    measurement = WallTimeProfiler(processes=2, repeats=1).measure("def g():\n    pass\n", "f", FIXED)
    assert measurement.status == "missing_entry_point"
    assert measurement.samples == ()


def test_counting_path_with_software_event():
    # Exercises the perf-event path in the child with the task clock, which works without a PMU.
    profiler = InstructionProfiler(processes=1, repeats=3, warmup=0, event=(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK))
    code = "def f(n):\n    return sum(range(n))\n"
    measurement = profiler.measure(code, "f", {"kind": "fixed", "calls": [[200_000]]})
    if measurement.status == "profiler_unavailable":
        pytest.skip(f"perf_event_open is unavailable: {measurement.message}")
    assert measurement.ok
    assert measurement.unit == "instructions"
    assert all(sample > 0 for sample in measurement.samples)


@pytest.mark.skipif(not STATUS.available, reason=f"no instruction counter: {STATUS.reason}")
def test_instruction_profiler_counts_work():
    profiler = InstructionProfiler(processes=1, repeats=3, warmup=1)
    code = "def f(n):\n    return sum(range(n))\n"
    small = profiler.measure(code, "f", {"kind": "fixed", "calls": [[100_000]]})
    large = profiler.measure(code, "f", {"kind": "fixed", "calls": [[1_000_000]]})
    assert 5 < large.cost / small.cost < 20


def test_select_profiler_falls_back_with_reason():
    choice = select_profiler("auto", processes=1, repeats=1)
    if STATUS.available:
        assert choice.profiler.name == "instructions"
    else:
        assert choice.profiler.name == "wall_time"
        assert "fell back to wall time" in choice.reason
        with pytest.raises(RuntimeError, match="unavailable"):
            select_profiler("instructions")
    assert select_profiler("wall").profiler.unit == "s"
    with pytest.raises(ValueError, match="profiler must be"):
        select_profiler("cycles")


def test_profiler_rejects_bad_counts():
    with pytest.raises(ValueError, match="processes"):
        WallTimeProfiler(processes=0)
    with pytest.raises(ValueError, match="repeats"):
        WallTimeProfiler(repeats=0)


def test_measure_many_interleaves_rounds(monkeypatch):
    # Record the order in which processes start: round 0 forward, round 1 reversed, and a
    # solution that failed in round 0 is not run again.
    from jaxsim.dpe.isolation import RunOutcome

    calls = []

    def fake_run(self, code, entry_point, input_spec, framework, keep_output):
        calls.append((code, keep_output))
        if code == "bad":
            return RunOutcome("error", message="boom")
        return RunOutcome("ok", samples=(float(len(calls)), float(len(calls)) + 0.5), output=code)

    monkeypatch.setattr(WallTimeProfiler, "_run", fake_run)
    profiler = WallTimeProfiler(processes=3, repeats=2, warmup=0)
    result = profiler.measure_many({"a": "a", "b": "bad", "c": "c"}, "f", FIXED, keep_output=True)
    assert [code for code, _ in calls] == ["a", "bad", "c", "c", "a", "a", "c"]
    assert [keep for _, keep in calls] == [True, True, True, False, False, False, False]
    assert list(result) == ["a", "b", "c"]
    assert result["b"].status == "error"
    # a ran as the 1st, 5th and 6th process; its per-process costs are the minima 1, 5 and 6.
    assert result["a"].process_costs == (1.0, 5.0, 6.0)
    assert result["a"].cost == 1.0
    assert result["c"].process_costs == (3.0, 4.0, 7.0)
    assert result["a"].output == "a"


def test_child_imports_jaxsim_not_worker_modules():
    # The worker's directory contains modules named stats, tasks and check. A solution must get
    # the standard library's or none, and must be able to import this library.
    code = ("import importlib.util\nimport jaxsim\n"
            "def f(x):\n    return [importlib.util.find_spec(m) is None for m in ('tasks', 'check', 'levels')]\n")
    measurement = WallTimeProfiler(processes=1, repeats=1, warmup=0).measure(code, "f", FIXED, keep_output=True)
    assert measurement.ok, measurement.message
    assert measurement.output == {"__seq__": "list", "items": [True, True, True]}


def test_measure_many_counts_per_solution(monkeypatch):
    from jaxsim.dpe.isolation import RunOutcome

    calls = []

    def fake_run(self, code, entry_point, input_spec, framework, keep_output):
        calls.append(code)
        return RunOutcome("ok", samples=(1.0,))

    monkeypatch.setattr(WallTimeProfiler, "_run", fake_run)
    profiler = WallTimeProfiler(processes=3, repeats=1, warmup=0)
    result = profiler.measure_many({"ref": "ref", "sample": "sample"}, "f", FIXED, processes={"sample": 1})
    assert calls == ["ref", "sample", "ref", "ref"]
    assert len(result["ref"].process_costs) == 3
    assert len(result["sample"].process_costs) == 1
    with pytest.raises(ValueError, match="at least one process"):
        profiler.measure_many({"ref": "ref"}, "f", FIXED, processes={"ref": 0})
