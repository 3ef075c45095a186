"""Helpers shared by the tests of every package."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_on_host_devices(code: str, n_devices: int, *, timeout: float = 300) -> object:
    """Run ``code`` in a fresh Python process with ``n_devices`` forced CPU devices.

    The code must print one JSON document as its last line of output; it is parsed and
    returned. Forcing devices needs a new process because XLA reads the flag at start-up.
    """
    env = dict(os.environ)
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n_devices}"
    env["JAX_PLATFORMS"] = "cpu"
    env["JAXSIM_PROGRESS"] = "0"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise RuntimeError(f"subprocess with {n_devices} devices failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class TraceCounter:
    """Wrap a function and count how often JAX traces it.

    Example::

        counter = TraceCounter(step)
        jitted = jax.jit(counter)
        jitted(x); jitted(x + 1)
        assert counter.count == 1
    """

    def __init__(self, fn):
        self.fn = fn
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1
        return self.fn(*args, **kwargs)
