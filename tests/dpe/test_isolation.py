import pytest

from jaxsim.dpe.isolation import Limits, available_cpus, run_isolated, single_cpu

FIXED = {"kind": "fixed", "calls": [[[3, 1, 2]]]}


def test_ok_run_returns_samples_and_output():
    outcome = run_isolated("def f(a):\n    return sorted(a)\n", "f", FIXED, repeats=3, keep_output=True)
    assert outcome.status == "ok"
    assert len(outcome.samples) == 3
    assert outcome.output == {"__seq__": "list", "items": [1, 2, 3]}
    assert outcome.peak_rss_bytes > 0


def test_input_is_copied_for_each_call():
    # A solution that mutates its input must see the same input on every call.
    code = "def f(a):\n    a.append(0)\n    return len(a)\n"
    outcome = run_isolated(code, "f", FIXED, warmup=2, repeats=3, keep_output=True)
    assert outcome.output == 4


@pytest.mark.parametrize(
    ("code", "limits", "status", "message"),
    [
        ("def f(a):\n    while True:\n        pass\n", Limits(time_s=1.0), "timeout", "time limit"),
        ("def f(a):\n    raise KeyError('boom')\n", Limits(), "error", "KeyError"),
        ("def g(a):\n    return a\n", Limits(), "missing_entry_point", "defines ['g']"),
        ("def f(a:\n", Limits(), "error", "SyntaxError"),
        ("import socket\ndef f(a):\n    socket.create_connection(('192.0.2.1', 80))\n", Limits(), "error",
         "network use is blocked"),
        ("def f(a):\n    return bytearray(4 * 2**30)\n", Limits(memory_bytes=512 * 2**20), "memory_limit", ""),
        ("import os\ndef f(a):\n    os.kill(os.getpid(), 9)\n", Limits(), "crash", "SIGKILL"),
        ("import sys\ndef f(a):\n    sys.exit(3)\n", Limits(), "error", "SystemExit"),
    ],
    ids=["hang", "exception", "no-entry-point", "syntax", "network", "memory", "killed", "exit"],
)
def test_failures_are_statuses(code, limits, status, message):
    outcome = run_isolated(code, "f", FIXED, repeats=1, warmup=0, limits=limits)
    assert outcome.status == status
    assert message in outcome.message


def test_generator_input_and_bad_generator():
    spec = {"kind": "generator", "code": "def generate(scale, seed):\n    return (list(range(scale)),)\n",
            "scale": 5, "seed": 0}
    outcome = run_isolated("def f(a):\n    return sum(a)\n", "f", spec, repeats=1, keep_output=True)
    assert outcome.output == 10
    bad = dict(spec, code="def make(scale, seed):\n    return ()\n")
    failed = run_isolated("def f(a):\n    return a\n", "f", bad, repeats=1)
    assert failed.status == "error"
    assert "generate" in failed.message


def test_jitted_function_compile_time_apart():
    code = "import jax\nimport jax.numpy as jnp\n\n@jax.jit\ndef f(x):\n    return jnp.cumsum(x) * 2\n"
    spec = {"kind": "generator", "code": "import jax.numpy as jnp\ndef generate(scale, seed):\n"
            "    return (jnp.arange(scale, dtype=jnp.float32),)\n", "scale": 64, "seed": 0}
    outcome = run_isolated(code, "f", spec, framework="jax", repeats=3, keep_output=True)
    assert outcome.status == "ok"
    assert outcome.compile_s > 0
    assert len(outcome.arrays) == 1
    assert outcome.arrays[0][-1] == pytest.approx(2 * sum(range(64)))


def test_invalid_arguments_raise():
    with pytest.raises(ValueError, match="framework"):
        run_isolated("", "f", FIXED, framework="torch")
    with pytest.raises(ValueError, match="profiler"):
        run_isolated("", "f", FIXED, profiler="cycles")
    with pytest.raises(ValueError, match="time_s"):
        Limits(time_s=0)
    with pytest.raises(ValueError, match="64 MiB"):
        Limits(memory_bytes=1000)


def test_fast_solutions_get_more_repeats():
    fast = run_isolated("def f(a):\n    return a\n", "f", FIXED, repeats=2, min_time_s=0.05, max_repeats=20)
    slow = run_isolated("import time\ndef f(a):\n    time.sleep(0.03)\n", "f", FIXED, repeats=2, min_time_s=0.05,
                        max_repeats=20)
    assert len(fast.samples) == 20
    # Two sleeps of 30 ms reach 50 ms, so no third call is made.
    assert len(slow.samples) == 2


@pytest.mark.skipif(available_cpus() is None, reason="this platform has no CPU affinity (os.sched_setaffinity)")
def test_child_runs_on_requested_cpu():
    cpu = single_cpu()
    assert cpu == (available_cpus()[-1],)
    code = "import os\ndef f(a):\n    return sorted(os.sched_getaffinity(0))\n"
    pinned = run_isolated(code, "f", FIXED, repeats=1, limits=Limits(cpus=cpu), keep_output=True)
    assert pinned.output == {"__seq__": "list", "items": list(cpu)}
    free = run_isolated(code, "f", FIXED, repeats=1, limits=Limits(), keep_output=True)
    assert free.output == {"__seq__": "list", "items": list(available_cpus())}


def test_invalid_cpus_raise():
    with pytest.raises(ValueError, match="empty"):
        Limits(cpus=())
    if available_cpus() is not None:
        with pytest.raises(ValueError, match=r"CPUs \[4096\]"):
            Limits(cpus=(4096,))
