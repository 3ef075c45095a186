"""Worker process of :func:`jaxsim.vision.latency.measure_in_subprocess`: JSON job on stdin, JSON result as the last stdout line."""

from __future__ import annotations

import json
import sys


def main() -> None:
    from jaxsim.vision.latency import run_latency_job

    print(json.dumps(run_latency_job(json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    main()
