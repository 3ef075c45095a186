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
