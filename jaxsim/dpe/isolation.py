"""Run one solution in a fresh, limited subprocess and classify what happened.

Each run gets its own temporary working directory (deleted afterwards) and its own process
group, which is killed as a whole when the time limit passes. The child sets an address-space
limit with ``resource.setrlimit(RLIMIT_AS)`` and, when requested, its CPU affinity
(``Limits.cpus``), runs in an environment without proxy settings
and with the directory that holds ``jaxsim`` on ``PYTHONPATH`` (so solutions can import this
library's kernels), and has a blocked socket API (see :mod:`jaxsim.dpe._child`; a guard against accidental network
use, not a security sandbox). A crash, hang, exception or wrong entry point becomes a
:class:`RunOutcome` with a failure status; nothing the solution does raises in the caller.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Limits", "RunOutcome", "FAILURE_STATUSES", "run_isolated", "DEFAULT_MEMORY_LIMIT_BYTES", "available_cpus",
           "single_cpu"]

_CHILD = Path(__file__).with_name("_child.py")

# RLIMIT_AS limits virtual memory, and XLA reserves much more address space than it touches
# (thread stacks, allocator arenas). With jax 0.10.2 on CPU a tiny jitted function crashed with
# SIGSEGV under 1 GiB and ran under 2 GiB; GPU backends reserve far more. 16 GiB leaves that
# room, and a plain Python solution can use a much lower limit.
DEFAULT_MEMORY_LIMIT_BYTES = 16 * 2**30

FAILURE_STATUSES = (
    "error",
    "missing_entry_point",
    "timeout",
    "crash",
    "memory_limit",
    "wrong_output",
    "profiler_unavailable",
)

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "ftp_proxy", "all_proxy", "no_proxy")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one solution process.

    Attributes:
        time_s: wall-clock limit of the whole process, start-up included, in seconds.
        memory_bytes: ``RLIMIT_AS`` of the process in bytes, or None for no limit.
        cpus: the CPUs the process may run on (its affinity, set before JAX starts its threads),
            or None for every CPU the caller may use. One CPU (:func:`single_cpu`) makes the wall
            time of a multithreaded solution the sum of its threads' run times, the wall-time
            counterpart of an instruction count over all threads. It also removes the hand-offs
            between cores, which a virtual machine can slow by several times for seconds at a
            time.
    """

    time_s: float = 60.0
    memory_bytes: int | None = DEFAULT_MEMORY_LIMIT_BYTES
    cpus: tuple[int, ...] | None = None

    def __post_init__(self):
        if not self.time_s > 0:
            raise ValueError(f"Limits.time_s must be positive, got {self.time_s}.")
        if self.memory_bytes is not None and self.memory_bytes < 64 * 2**20:
            raise ValueError(
                f"Limits.memory_bytes={self.memory_bytes} is below 64 MiB, too little to start Python; "
                "raise it or pass None for no limit."
            )
        if self.cpus is not None:
            cpus = tuple(int(c) for c in self.cpus)
            allowed = available_cpus()
            if not cpus:
                raise ValueError("Limits.cpus is empty. Pass at least one CPU index, or None for all CPUs.")
            if allowed is None:
                raise ValueError(f"Limits.cpus={cpus} needs CPU affinity (os.sched_setaffinity), which this "
                                 "platform lacks. Pass cpus=None.")
            outside = sorted(set(cpus) - set(allowed))
            if outside:
                raise ValueError(f"Limits.cpus contains CPUs {outside} that this process may not use. Choose among "
                                 f"{sorted(allowed)}.")
            object.__setattr__(self, "cpus", cpus)


def available_cpus() -> tuple[int, ...] | None:
    """Return the CPUs this process may run on, or None where the platform has no CPU affinity."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    return tuple(sorted(os.sched_getaffinity(0)))


def single_cpu() -> tuple[int, ...] | None:
    """Return a one-CPU affinity for solution processes: the highest-numbered CPU this process may use.

    On Linux CPU 0 often handles more device interrupts than the others, so the last one is taken.
    Returns None where the platform has no CPU affinity (macOS, Windows), and processes then run
    unpinned.
    """
    cpus = available_cpus()
    return None if cpus is None else (cpus[-1],)


@dataclass(frozen=True)
class RunOutcome:
    """The result of one solution process.

    Attributes:
        status: ``"ok"`` or one of :data:`FAILURE_STATUSES`.
        samples: measured costs per repeat (seconds or instructions), empty on failure.
        compile_s: compile time of a jitted entry point, 0 otherwise.
        peak_rss_bytes: peak resident memory of the process.
        device_peak_bytes: peak device memory reported by JAX, None where unavailable.
        message: the failure's explanation.
        output: the first call's output in canonical form (see ``_child._to_canonical``), or None.
        arrays: arrays referenced by ``output``.
        stderr_tail: the last lines the process wrote to stderr.
    """

    status: str
    samples: tuple[float, ...] = ()
    compile_s: float = 0.0
    peak_rss_bytes: int | None = None
    device_peak_bytes: int | None = None
    message: str = ""
    output: Any = None
    arrays: tuple = field(default=(), repr=False)
    stderr_tail: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# The parent directory of the ``jaxsim`` package. It goes on the child's PYTHONPATH, so solutions
# can import this library's kernels whether jaxsim is installed or run from a source tree.
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


def _child_environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key.lower() not in _PROXY_VARIABLES}
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _PACKAGE_ROOT not in paths:
        env["PYTHONPATH"] = os.pathsep.join([_PACKAGE_ROOT, *paths])
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    return env


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return ""


def _load_output(path: Path) -> tuple[Any, tuple]:
    import numpy as np

    data = json.loads(path.read_text())
    arrays: tuple = ()
    if data.get("n_arrays"):
        with np.load(str(path) + ".npz", allow_pickle=False) as archive:
            arrays = tuple(archive[f"arr_{i}"] for i in range(int(data["n_arrays"])))
    return data["output"], arrays


def run_isolated(
    code: str,
    entry_point: str,
    input_spec: dict[str, Any],
    *,
    framework: str = "python",
    profiler: str = "wall",
    warmup: int = 1,
    repeats: int = 5,
    limits: Limits = Limits(),
    keep_output: bool = False,
    event: tuple[int, int] | None = None,
    min_time_s: float = 0.0,
    max_repeats: int | None = None,
) -> RunOutcome:
    """Run ``entry_point`` from ``code`` in a fresh limited process and measure it.

    Args:
        code: the solution's Python source.
        entry_point: name of the function to call.
        input_spec: ``{"kind": "fixed", "calls": [[arg, ...], ...]}`` or
            ``{"kind": "generator", "code": str, "scale": int, "seed": int}``.
        framework: ``"python"`` (inputs deep-copied before every call) or ``"jax"``.
        profiler: ``"wall"`` (seconds per repeat) or ``"instructions"``.
        warmup: untimed calls after the first one.
        repeats: measured calls, at least.
        min_time_s: keep measuring (up to ``max_repeats`` calls) until the measured calls add
            up to this many seconds; fast solutions thereby get more samples.
        max_repeats: the most measured calls (default ``repeats``).
        limits: time and memory limits.
        keep_output: return the first call's output for a correctness check.
        event: ``(type, config)`` of the perf event for ``"instructions"``; default counts
            hardware instructions. Tests pass a software event to exercise the counting path.

    Returns:
        A :class:`RunOutcome`; every failure of the solution is a status, never an exception.
    """
    if framework not in ("python", "jax"):
        raise ValueError(f"framework must be 'python' or 'jax', got {framework!r}.")
    if profiler not in ("wall", "instructions"):
        raise ValueError(f"profiler must be 'wall' or 'instructions', got {profiler!r}.")
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}.")

    with tempfile.TemporaryDirectory(prefix="jaxsim-dpe-") as workdir:
        work = Path(workdir)
        request = {
            "code": code,
            "entry_point": entry_point,
            "input": input_spec,
            "framework": framework,
            "profiler": profiler,
            "warmup": warmup,
            "repeats": repeats,
            "min_time_s": float(min_time_s),
            "max_repeats": int(max_repeats or repeats),
            "memory_limit_bytes": limits.memory_bytes,
            "cpus": list(limits.cpus) if limits.cpus is not None else None,
            "result_path": str(work / "result.json"),
            "output_path": str(work / "output.json") if keep_output else None,
        }
        if event is not None:
            request["event_type"], request["event_config"] = int(event[0]), int(event[1])
        (work / "request.json").write_text(json.dumps(request))
        stdout_path, stderr_path = work / "stdout.txt", work / "stderr.txt"
        with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
            process = subprocess.Popen(
                [sys.executable, str(_CHILD), str(work / "request.json")],
                cwd=work,
                env=_child_environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            timed_out = False
            try:
                process.wait(timeout=limits.time_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                # Kill the whole group: a solution may have started processes of its own.
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        stderr_tail = _tail(stderr_path)
        if timed_out:
            return RunOutcome("timeout", message=f"the process ran past the time limit of {limits.time_s:g} s",
                              stderr_tail=stderr_tail)
        result_path = work / "result.json"
        if not result_path.exists():
            code_ = process.returncode
            if "MemoryError" in stderr_tail:
                return RunOutcome("memory_limit", message="the process ran out of memory under RLIMIT_AS",
                                  stderr_tail=stderr_tail)
            if code_ is not None and code_ < 0:
                name = signal.Signals(-code_).name if -code_ in signal.Signals._value2member_map_ else str(-code_)
                message = f"the process was killed by signal {name}"
            else:
                message = f"the process exited with code {code_} before writing a result"
            return RunOutcome("crash", message=message, stderr_tail=stderr_tail)
        data = json.loads(result_path.read_text())
        status = data.get("status", "error")
        if status != "ok":
            message = data.get("message", "")
            if data.get("stage"):
                message = f"{data['stage']}: {message}"
            return RunOutcome(status, message=message, stderr_tail=data.get("traceback", stderr_tail))
        output, arrays = (None, ())
        if keep_output:
            output, arrays = _load_output(work / "output.json")
        return RunOutcome(
            "ok",
            samples=tuple(float(s) for s in data["samples"]),
            compile_s=float(data.get("compile_s", 0.0)),
            peak_rss_bytes=data.get("peak_rss_bytes"),
            device_peak_bytes=data.get("device_peak_bytes"),
            output=output,
            arrays=arrays,
            stderr_tail=stderr_tail,
        )
