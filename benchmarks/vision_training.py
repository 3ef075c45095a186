"""Training throughput of MobileNetV2 (width 1.0, 32 x 32 input, batch 64): jaxsim (Flax NNX) vs PyTorch on CPU.

Both sides build the same network (Sandler et al. 2018, arXiv:1801.04381, Table 2, with 10
classes), run the same step (forward, softmax cross-entropy, backward, SGD with momentum 0.9)
on the same random batch, and report steps per second from the median step time. The JAX
compile time is reported apart; every JAX step ends in ``block_until_ready``. PyTorch runs
twice, with the default NCHW memory format and with ``channels_last`` (NHWC, which takes
oneDNN's faster depthwise kernels on CPU), and the faster of the two is the peer.

Run: ``PYTHONPATH=. /work/venv-bench/bin/python benchmarks/vision_training.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from jaxsim.core.report import environment_record
from jaxsim.core.timing import summarize_times
from jaxsim.vision.counting import count_params
from jaxsim.vision.models import MOBILENET_V2_SETTINGS, mobilenet_v2
from jaxsim.vision.training import make_train_step

BATCH, SIZE, CLASSES = 64, 32, 10


def time_jaxsim(steps: int, x: np.ndarray, y: np.ndarray) -> dict:
    model = mobilenet_v2(num_classes=CLASSES, rngs=nnx.Rngs(0))
    model.train()
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    tx = optax.sgd(0.01, momentum=0.9)
    opt_state = tx.init(params)
    step = make_train_step(graphdef, tx)
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    start = time.perf_counter()
    compiled = step.lower(params, rest, opt_state, xj, yj).compile()
    compile_s = time.perf_counter() - start
    params, rest, opt_state, loss = compiled(params, rest, opt_state, xj, yj)
    jax.block_until_ready(loss)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        params, rest, opt_state, loss = compiled(params, rest, opt_state, xj, yj)
        jax.block_until_ready((params, loss))
        times.append(time.perf_counter() - start)
    stats = summarize_times(compile_s, times)
    return {"params": count_params(model, include_batchnorm=True), "compile_s": compile_s, **_rates(stats)}


def _rates(stats) -> dict:
    return {"median_step_s": stats.median_s, "iqr_step_s": stats.iqr_s, "steps_per_s": 1.0 / stats.median_s, "steps": len(stats.times_s)}


def time_torch(steps: int, x: np.ndarray, y: np.ndarray, channels_last: bool = False) -> dict:
    """Time PyTorch's step; ``channels_last`` stores activations and weights as NHWC."""
    import torch
    from torch import nn

    def conv_bn(cin, cout, k, stride, groups=1, act=True):
        layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
        return layers + ([nn.ReLU6(inplace=True)] if act else [])

    class Inverted(nn.Module):
        def __init__(self, cin, cout, stride, t):
            super().__init__()
            hidden = cin * t
            layers = [] if t == 1 else conv_bn(cin, hidden, 1, 1)
            layers += conv_bn(hidden, hidden, 3, stride, groups=hidden) + conv_bn(hidden, cout, 1, 1, act=False)
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, v):
            return v + self.body(v) if self.residual else self.body(v)

    layers, width = conv_bn(3, 32, 3, 2), 32
    for t, c, n, s in MOBILENET_V2_SETTINGS:
        for i in range(n):
            layers.append(Inverted(width, c, s if i == 0 else 1, t))
            width = c
    layers += conv_bn(width, 1280, 1, 1) + [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, CLASSES)]
    net = nn.Sequential(*layers)
    net.train()
    xt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        xt = xt.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    yt = torch.from_numpy(y.astype(np.int64))

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(net(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.detach())

    step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    stats = summarize_times(0.0, times)
    return {"params": sum(p.numel() for p in net.parameters()), "torch": torch.__version__, "threads": torch.get_num_threads(),
            "memory_format": "channels_last" if channels_last else "contiguous", **_rates(stats)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="time 3 steps per side instead of 10")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "vision_training.json")
    args = parser.parse_args()
    steps = 3 if args.quick else 10
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZE, SIZE, 3)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH).astype(np.int32)
    load_before = os.getloadavg()
    jax_result = time_jaxsim(steps, x, y)
    torch_runs = [time_torch(steps, x, y, channels_last=False), time_torch(steps, x, y, channels_last=True)]
    torch_result = max(torch_runs, key=lambda run: run["steps_per_s"])
    result = {
        "benchmark": "MobileNetV2 training step, 32x32 input, batch 64, 10 classes, SGD momentum",
        "quick": args.quick,
        "jaxsim": jax_result,
        "pytorch": torch_result,
        "pytorch_both_memory_formats": torch_runs,
        "ratio_steps_per_s_jaxsim_over_pytorch": jax_result["steps_per_s"] / torch_result["steps_per_s"],
        "environment": {**environment_record(), "loadavg_before": list(load_before), "loadavg_after": list(os.getloadavg())},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: result[k] for k in ("jaxsim", "pytorch", "ratio_steps_per_s_jaxsim_over_pytorch")}, indent=1))


if __name__ == "__main__":
    main()
