"""Worker that runs one solution in a fresh process and writes ``result.json``.

``python _child.py REQUEST.json`` is started by :mod:`jaxsim.dpe.isolation` in a temporary
working directory. The script imports only the standard library at start-up, so plain
Python solutions are measured without JAX in the process. It is not meant to be imported.

Order of work, chosen so that measurements see only the solution:

1. set resource limits (``RLIMIT_AS`` and the CPU affinity when requested, no core dumps);
2. open the instruction counter (before JAX starts its threads, so that ``inherit`` covers them);
3. import JAX for JAX tasks, build the input (fixed arguments or the task's generator);
4. block the socket API, then execute the solution's source and look up its entry point;
5. call it once for the output (a jitted function is lowered and compiled first, the way
   ``jaxsim.core.timing.time_jitted`` does, so compile time is kept apart from run time),
   ``warmup`` untimed calls and at least ``repeats`` measured calls (more, up to ``max_repeats``,
   until they add up to ``min_time_s``), each on a fresh copy of the input;
6. record peak memory and write the output (JSON, arrays in an ``.npz`` without pickle).

The socket block replaces ``socket.socket``, ``socket.create_connection`` and
``socket.getaddrinfo`` with functions that raise. It stops accidental network use by ordinary
code; it is a guard, not a sandbox, because code can reach ``_socket`` or ``ctypes`` directly.

Python puts a script's directory first on ``sys.path``; the worker removes it at start, so that
this package's modules (``stats``, ``tasks``, ``check``, ...) cannot shadow a solution's or
JAX's imports of modules with those names. The parent puts the directory that holds ``jaxsim``
on ``PYTHONPATH``, so solutions can import this library's kernels.
"""

from __future__ import annotations

import copy
import json
import os
import resource
import sys
import time
import traceback

NETWORK_BLOCKED_MESSAGE = "network use is blocked for solutions evaluated by jaxsim.dpe"

_HERE = os.path.dirname(os.path.abspath(__file__))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _HERE:
    sys.path.pop(0)


def _write(path: str, payload: dict) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as handle:
        json.dump(payload, handle)
    os.replace(tmp, path)


def _block_network() -> None:
    import socket

    def blocked(*args, **kwargs):
        raise PermissionError(NETWORK_BLOCKED_MESSAGE)

    socket.socket = blocked  # type: ignore[assignment,misc]
    socket.create_connection = blocked  # type: ignore[assignment]
    socket.getaddrinfo = blocked  # type: ignore[assignment]
    socket.socketpair = blocked  # type: ignore[assignment]


def _to_canonical(value, arrays: list):
    """Convert an output to JSON-compatible data; arrays go to ``arrays`` and are referenced by index."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"__float__": repr(value)}
        return value
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, (list, tuple)):
        return {"__seq__": type(value).__name__, "items": [_to_canonical(v, arrays) for v in value]}
    if isinstance(value, (set, frozenset)):
        items = sorted((_to_canonical(v, arrays) for v in value), key=repr)
        return {"__set__": items}
    if isinstance(value, dict):
        return {"__dict__": [[_to_canonical(k, arrays), _to_canonical(v, arrays)] for k, v in value.items()]}
    if hasattr(value, "__array__") or type(value).__module__.startswith(("numpy", "jax")):
        import numpy as np

        array = np.asarray(value)
        if array.dtype == object:
            return {"__repr__": repr(value)}
        arrays.append(array)
        return {"__array__": len(arrays) - 1}
    return {"__repr__": repr(value)}


def _build_calls(request: dict) -> list:
    spec = request["input"]
    if spec["kind"] == "fixed":
        return [list(call) for call in spec["calls"]]
    namespace: dict = {"__name__": "dpe_generator"}
    exec(compile(spec["code"], "<generator>", "exec"), namespace)
    generate = namespace.get(spec.get("entry_point", "generate"))
    if generate is None:
        raise LookupError(f"the input generator defines no function {spec.get('entry_point', 'generate')!r}")
    args = generate(int(spec["scale"]), int(spec.get("seed", 0)))
    return [list(args)]


def _compiled_caller(compiled, args):
    """Return a function of all arguments that calls ``compiled`` with the ones it takes.

    A compiled executable takes only the dynamic arguments; static ones (``static_argnums``)
    were fixed at lowering. Which ones are static is not exposed uniformly, so the compiled
    function is tried with every argument first and then without the non-array ones.
    """
    try:
        compiled(*args)
        return compiled
    except TypeError:
        keep = [hasattr(a, "shape") and hasattr(a, "dtype") for a in args]
        compiled(*[a for a, k in zip(args, keep) if k])

        def call(*call_args):
            return compiled(*[a for a, k in zip(call_args, keep) if k])

        return call


def main(request_path: str) -> int:
    with open(request_path) as handle:
        request = json.load(handle)
    result_path = request["result_path"]
    result: dict = {"status": "error", "stage": "setup", "message": ""}

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if request.get("memory_limit_bytes"):
        limit = int(request["memory_limit_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if request.get("cpus"):
        # Set before any import that starts threads, because threads inherit their creator's affinity.
        os.sched_setaffinity(0, [int(c) for c in request["cpus"]])

    counter = None
    if request["profiler"] == "instructions":
        sys.path.insert(0, _HERE)
        try:
            import perf_events  # the sibling module, loaded by path to keep jaxsim out of the process

            counter = perf_events.PerfCounter(
                int(request.get("event_type", perf_events.PERF_TYPE_HARDWARE)),
                int(request.get("event_config", perf_events.PERF_COUNT_HW_INSTRUCTIONS)),
            )
        except OSError as error:
            _write(result_path, {"status": "profiler_unavailable", "stage": "setup", "message": str(error)})
            return 0
        finally:
            sys.path.pop(0)

    jax = None
    try:
        if request["framework"] == "jax":
            import jax  # noqa: F811

        calls = _build_calls(request)
    except Exception as error:
        result.update(stage="input", message=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()[-4000:])
        _write(result_path, result)
        return 0

    _block_network()

    namespace: dict = {"__name__": "dpe_solution"}
    try:
        exec(compile(request["code"], "<solution>", "exec"), namespace)
    except BaseException as error:  # SyntaxError, SystemExit and errors at import time are scored failures
        result.update(stage="load", message=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()[-4000:])
        _write(result_path, result)
        return 0
    entry_point = request["entry_point"]
    fn = namespace.get(entry_point)
    if not callable(fn):
        defined = sorted(k for k, v in namespace.items() if callable(v) and not k.startswith("__"))
        result.update(
            status="missing_entry_point",
            stage="load",
            message=f"the solution defines no callable {entry_point!r}; it defines {defined or 'no functions'}",
        )
        _write(result_path, result)
        return 0

    copy_inputs = request["framework"] == "python"

    def fresh(call):
        return copy.deepcopy(call) if copy_inputs else call

    def finish(value):
        if jax is not None:
            return jax.block_until_ready(value)
        return value

    jitted = jax is not None and hasattr(fn, "lower") and len(calls) == 1
    compile_s = 0.0
    stage = "run"
    try:
        if jitted:
            stage = "compile"
            start = time.perf_counter()
            compiled = fn.lower(*calls[0]).compile()
            compile_s = time.perf_counter() - start
            target = _compiled_caller(compiled, calls[0])
        else:
            target = fn
        stage = "run"
        outputs = [finish(target(*fresh(call))) for call in calls]
        for _ in range(int(request["warmup"])):
            for call in calls:
                finish(target(*fresh(call)))
        samples = []
        # At least `repeats` measured calls. Fast solutions get more, up to `max_repeats`, until the
        # calls add up to `min_time_s`, because their minimum and the tie test need many samples.
        min_repeats = int(request["repeats"])
        max_repeats = max(min_repeats, int(request.get("max_repeats", min_repeats)))
        min_time_s = float(request.get("min_time_s", 0.0))
        measure_start = time.perf_counter()
        while len(samples) < min_repeats or (
            len(samples) < max_repeats and time.perf_counter() - measure_start < min_time_s
        ):
            prepared = [fresh(call) for call in calls]
            if counter is not None:
                before = counter.read()
                for args in prepared:
                    finish(target(*args))
                samples.append(float(counter.read() - before))
            else:
                start = time.perf_counter()
                for args in prepared:
                    finish(target(*args))
                samples.append(time.perf_counter() - start)
    except BaseException as error:  # a solution's exception, SystemExit or MemoryError is a scored failure
        result.update(stage=stage, message=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()[-4000:])
        if isinstance(error, MemoryError):
            result["status"] = "memory_limit"
        _write(result_path, result)
        return 0

    device_peak = None
    if jax is not None:
        try:
            stats = jax.devices()[0].memory_stats()
            if stats:
                device_peak = int(stats.get("peak_bytes_in_use", 0)) or None
        except Exception:  # memory_stats is unimplemented on some backends
            device_peak = None

    result = {
        "status": "ok",
        "samples": samples,
        "compile_s": compile_s,
        "jitted": jitted,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "device_peak_bytes": device_peak,
    }
    if request.get("output_path"):
        try:
            arrays: list = []
            canonical = _to_canonical(outputs[0] if len(outputs) == 1 else outputs, arrays)
            if arrays:
                import numpy as np

                np.savez(request["output_path"] + ".npz", *arrays)
            _write(request["output_path"], {"output": canonical, "n_arrays": len(arrays)})
        except Exception as error:
            result = {"status": "error", "stage": "output", "message": f"{type(error).__name__}: {error}"}
    _write(result_path, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
