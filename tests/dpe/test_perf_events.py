import threading

import pytest

from jaxsim.dpe.perf_events import (
    PERF_COUNT_SW_TASK_CLOCK,
    PERF_TYPE_SOFTWARE,
    PerfCounter,
    PerfEventError,
    instruction_counter_status,
    perf_event_paranoid,
)

STATUS = instruction_counter_status()


def _software_counter_or_skip():
    try:
        return PerfCounter(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK)
    except PerfEventError as error:
        pytest.skip(f"perf_event_open is unavailable here: {error}")


def test_status_states_a_reason():
    assert isinstance(STATUS.available, bool)
    assert STATUS.reason
    assert STATUS.paranoid == perf_event_paranoid()


@pytest.mark.skipif(not STATUS.available, reason=f"no instruction counter: {STATUS.reason}")
def test_instruction_counter_scales_with_work():
    with PerfCounter() as counter:
        start = counter.read()
        sum(range(100_000))
        small = counter.read() - start
        start = counter.read()
        sum(range(1_000_000))
        large = counter.read() - start
    # Ten times the loop iterations; interpreter overhead keeps the ratio within a factor 2 of 10.
    assert 5 < large / small < 20


def test_software_counter_counts_other_threads():
    # The task clock (nanoseconds of CPU time) exercises the same open/read/inherit path as
    # the instruction counter on machines without a hardware PMU.
    with _software_counter_or_skip() as counter:
        start = counter.read()
        worker = threading.Thread(target=lambda: sum(range(3_000_000)))
        worker.start()
        worker.join()
        with_thread = counter.read() - start
    assert with_thread > 1_000_000  # the thread's loop needs well over 1 ms of CPU time


def test_counter_reset_and_close():
    counter = _software_counter_or_skip()
    sum(range(100_000))
    counter.reset()
    after_reset = counter.read()
    sum(range(1_000_000))
    assert counter.read() > after_reset
    counter.close()
    with pytest.raises(OSError):
        counter.read()
