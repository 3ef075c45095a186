"""Worker process of :func:`jaxsim.vision.latency.measure_in_subprocess`: JSON job on stdin, JSON result as the last stdout line."""

from __future__ import annotations

import json
import os
import sys

from flax import nnx


def main() -> None:
    from jaxsim.vision.baselines import build_baseline
    from jaxsim.vision.latency import measure_latency_table, measure_model_latencies, space_from_dict

    job = json.loads(sys.stdin.read())
    space = space_from_dict(job["space"])
    settings = dict(rounds=job["rounds"], per_round=job["per_round"], seed=job["seed"])
    before = list(os.getloadavg())
    table = measure_latency_table(space, batch_size=job["batch_size"], **settings) if job["table"] else None
    models = [space.build(a, rngs=nnx.Rngs(job["seed"])) for a in job["archs"]]
    models += [build_baseline(name, space, rngs=nnx.Rngs(job["seed"])) for name in job["baselines"]]
    shape = (job["batch_size"], space.input_size, space.input_size, space.in_channels)
    times = measure_model_latencies(models, shape, **settings).tolist() if models else []
    n = len(job["archs"])
    result = {
        "table": None if table is None else table.to_dict(),
        "archs_us": times[:n],
        "baselines_us": dict(zip(job["baselines"], times[n:])),
        "loadavg_before": before,
        "loadavg_after": list(os.getloadavg()),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
