"""Latency models of networks in a search space: a measured lookup table and a roofline estimate.

Both models predict the latency of a whole network as a fixed part (stem, head, classifier and
one dispatch) plus the sum of its blocks' latencies, the additive model of Wu et al. (2019),
"FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable Neural Architecture Search",
arXiv:1812.03443, section 3.3:

    LAT(a) = LAT_fixed + sum_l LAT_l(a_l).

- :func:`measure_latency_table` compiles every candidate block of every layer at its input shape
  on the backend in use, times it with :func:`jaxsim.core.timing.time_jitted` (median of
  ``repeats`` calls) and subtracts the time of dispatching a trivial jitted call, which a fused
  whole network pays once and not once per block.
- :func:`roofline_latency_table` takes each block's FLOPs and bytes from
  :func:`jaxsim.vision.counting.count_costs` and converts them with
  :func:`jaxsim.roofline.roofline_time` for hardware that need not be present.

:func:`latency_model_accuracy` compares predictions with measured whole-network latencies: the
share within 10 percent and Spearman's rank correlation.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jaxtyping import Array, Float

from jaxsim.core.progress import track
from jaxsim.core.report import environment_record
from jaxsim.core.timing import time_jitted
from jaxsim.roofline import Hardware, roofline_time
from jaxsim.vision.counting import abstract_model, count_costs
from jaxsim.vision.layers import ConvBN, lax_convolutions
from jaxsim.vision.search_space import SearchSpace
from jaxsim.vision.spec import build_block

__all__ = [
    "LatencyTable",
    "measure_latency_table",
    "roofline_latency_table",
    "measure_network_latencies",
    "measure_model_latencies",
    "measure_in_subprocess",
    "interleaved_medians",
    "latency_model_accuracy",
    "block_costs",
    "fit_roofline_table",
    "fit_affine_correction",
]


@dataclass
class LatencyTable:
    """Latency of every candidate of every layer, in microseconds, for one batch size.

    Attributes:
        candidates: candidate names, the columns of ``layer_us``.
        layer_us: (layers, candidates) latency of each block.
        fixed_us: latency of the parts that do not change (stem, head, classifier, one dispatch).
        batch_size: images per call the table was built for.
        source: ``"measured"`` or ``"roofline:<hardware>"``.
        metadata: machine, versions, load average and timing settings.
    """

    candidates: tuple[str, ...]
    layer_us: np.ndarray
    fixed_us: float
    batch_size: int
    source: str = "measured"
    metadata: dict[str, Any] = field(default_factory=dict)

    def network_us(self, indices: Sequence[int]) -> float:
        """Predict the latency of the network that uses candidate ``indices[l]`` in layer ``l``."""
        indices = np.asarray(indices)
        if indices.shape != (self.layer_us.shape[0],):
            raise ValueError(f"need one candidate index per layer ({self.layer_us.shape[0]}), got shape {indices.shape}.")
        return float(self.fixed_us + self.layer_us[np.arange(len(indices)), indices].sum())

    def expected_us(self, weights: Float[Array, "layers candidates"]) -> Float[Array, ""]:
        """Return ``LAT_fixed + sum_l sum_i w_li LAT_li``, differentiable in the mixing weights ``w``."""
        return self.fixed_us + jnp.sum(weights * jnp.asarray(self.layer_us, weights.dtype))

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": list(self.candidates),
            "layer_us": np.asarray(self.layer_us).tolist(),
            "fixed_us": float(self.fixed_us),
            "batch_size": int(self.batch_size),
            "source": self.source,
            "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> None:
        """Write the table with its machine and version record as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> LatencyTable:
        return _table_from_dict(json.loads(Path(path).read_text()))


class _Fixed(nnx.Module):
    # Stem, head and classifier of a search-space network, timed together.
    def __init__(self, space: SearchSpace, rngs: nnx.Rngs):
        self.stem = ConvBN(space.in_channels, space.stem_channels, 3, stride=space.stem_stride, rngs=rngs)
        width = space.channels[-1]
        self.head = ConvBN(width, space.head_channels, 1, rngs=rngs) if space.head_channels else None
        self.classifier = nnx.Linear(space.head_channels or width, space.num_classes, rngs=rngs)

    def __call__(self, x, features):
        y = self.stem(x)
        z = features if self.head is None else self.head(features)
        return y, self.classifier(jnp.mean(z, axis=(-3, -2)))


def _jitted_forward(module: nnx.Module):
    module.eval()
    graphdef, state = nnx.split(module)

    @jax.jit
    def forward(state, *args):
        return nnx.merge(graphdef, state)(*args)

    return forward, state


def interleaved_medians(calls: Sequence[tuple[Any, tuple]], *, rounds: int = 5, per_round: int = 5) -> np.ndarray:
    """Time several jitted calls in interleaved rounds and return each one's median, in seconds.

    Each call ``(jitted_fn, args)`` is compiled once; then every round times every call
    ``per_round`` times with :func:`jaxsim.core.timing.time_jitted` (which reuses the compiled
    program). Interleaving spreads bursts of load from other processes over all calls instead
    of letting one burst inflate one call's median.
    """
    if rounds < 1 or per_round < 1:
        raise ValueError(f"rounds and per_round must be >= 1, got {rounds} and {per_round}.")
    times: list[list[float]] = [[] for _ in calls]
    for fn, args in calls:
        time_jitted(fn, *args, warmup=2, repeats=1)
    for _ in range(rounds):
        for i, (fn, args) in enumerate(calls):
            times[i].extend(time_jitted(fn, *args, warmup=0, repeats=per_round).times_s)
    return np.array([np.median(t) for t in times])


def _dispatch_call(x: Array):
    return jax.jit(lambda v: v + 1.0), (x,)


def _environment(batch_size: int, rounds: int, per_round: int) -> dict[str, Any]:
    record = environment_record()
    record["loadavg"] = list(os.getloadavg())
    record["batch_size"] = batch_size
    record["rounds"] = rounds
    record["calls_per_round"] = per_round
    return record


def measure_latency_table(
    space: SearchSpace,
    *,
    batch_size: int = 64,
    rounds: int = 5,
    per_round: int = 5,
    seed: int = 0,
    description: str = "latency table",
) -> LatencyTable:
    """Measure every candidate block of every layer of ``space`` on the default JAX backend.

    Each block is built, put in evaluation mode, compiled at its input shape
    ``(batch_size, h, h, c_in)`` and timed in interleaved rounds (:func:`interleaved_medians`,
    median of ``rounds * per_round`` calls). Layers with the same shape and stride share their
    measurements. The dispatch time of a trivial jitted call is subtracted from every block and
    counted once in ``fixed_us``; block entries are floored at 0.

    NOTE: on a machine shared with other jobs the medians move with the load; the load average
    before and after is stored in ``metadata``.
    """
    load_before = list(os.getloadavg())
    rngs = nnx.Rngs(seed)
    key = jax.random.key(seed)
    shapes = space.layer_shapes()
    x_in = jax.random.normal(key, (batch_size, space.input_size, space.input_size, space.in_channels))
    calls = [_dispatch_call(x_in)]
    slots: dict[tuple, int] = {}
    jobs = [(l, c) for l in range(space.n_layers) for c in range(space.n_candidates)]
    for layer, cand in track(jobs, description + " (compile)"):
        cin, cout, stride, size = shapes[layer]
        name = space.candidates[cand]
        cache_key = (name, cin, cout, stride, size)
        if cache_key not in slots:
            forward, state = _jitted_forward(build_block(name, cin, cout, stride=stride, rngs=rngs))
            slots[cache_key] = len(calls)
            calls.append((forward, (state, jax.random.normal(key, (batch_size, size, size, cin)))))
    final = space.final_size()
    features = jax.random.normal(key, (batch_size, final, final, space.channels[-1]))
    forward, state = _jitted_forward(_Fixed(space, rngs))
    calls.append((forward, (state, x_in, features)))
    medians = interleaved_medians(calls, rounds=rounds, per_round=per_round)
    dispatch = medians[0]
    table = np.zeros((space.n_layers, space.n_candidates))
    for layer, cand in jobs:
        cin, cout, stride, size = shapes[layer]
        slot = slots[(space.candidates[cand], cin, cout, stride, size)]
        table[layer, cand] = max(medians[slot] - dispatch, 0.0) * 1e6
    metadata = _environment(batch_size, rounds, per_round)
    metadata["loadavg_before"] = load_before
    metadata["dispatch_us"] = float(dispatch * 1e6)
    metadata["time_unix"] = time.time()
    return LatencyTable(space.candidates, table, float(medians[-1] * 1e6), batch_size, "measured", metadata)


def block_costs(space: SearchSpace, batch_size: int) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """Count FLOPs and bytes of every candidate of every layer, and of the fixed parts, without running.

    Returns:
        ``(flops, bytes_moved, (fixed_flops, fixed_bytes))`` with arrays of shape (layers, candidates).
    """
    shapes = space.layer_shapes()
    flops = np.zeros((space.n_layers, space.n_candidates))
    moved = np.zeros_like(flops)
    for layer, (cin, cout, stride, size) in enumerate(shapes):
        for cand, name in enumerate(space.candidates):
            block = abstract_model(lambda: build_block(name, cin, cout, stride=stride, rngs=nnx.Rngs(0)))
            cost = count_costs(block, (batch_size, size, size, cin))
            flops[layer, cand], moved[layer, cand] = cost.flops, cost.bytes_moved
    fixed = abstract_model(lambda: _Fixed(space, nnx.Rngs(0)))
    final = space.final_size()
    graphdef, state = nnx.split(fixed)

    def run(state, x, f):
        module = nnx.merge(graphdef, state)
        module.eval()
        return module(x, f)

    # Reuse the jaxpr walker through a thin wrapper with one input.
    from jaxsim.vision.counting import _walk

    shapes_in = (
        jax.ShapeDtypeStruct((batch_size, space.input_size, space.input_size, space.in_channels), jnp.float32),
        jax.ShapeDtypeStruct((batch_size, final, final, space.channels[-1]), jnp.float32),
    )
    abstract_state = jax.tree.map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), state)
    totals = [0, 0, 0]
    with lax_convolutions():
        _walk(jax.make_jaxpr(run)(abstract_state, *shapes_in).jaxpr, totals)
    return flops, moved, (2.0 * totals[0], float(totals[1]))


def roofline_latency_table(
    space: SearchSpace,
    hardware: Hardware,
    *,
    batch_size: int = 64,
    compute_efficiency: float = 1.0,
    memory_efficiency: float = 1.0,
    overhead_us: float = 0.0,
    temperature: float = 0.05,
) -> LatencyTable:
    """Estimate every block's latency with the roofline model of ``hardware`` (no device needed).

    ``LAT_li = roofline_time(F_li, B_li) + overhead`` with FLOPs ``F`` and bytes ``B`` from
    :func:`block_costs`; ``overhead_us`` is a per-block launch cost (0 for the bare roofline).
    """
    flops, moved, (fixed_flops, fixed_bytes) = block_costs(space, batch_size)
    kwargs = dict(compute_efficiency=compute_efficiency, memory_efficiency=memory_efficiency, temperature=temperature)
    # A skip block without parameters moves and computes nothing: it costs no time and no overhead.
    has_work = (flops > 0) | (moved > 0)
    layer_us = np.asarray(roofline_time(flops, moved, hardware, **kwargs)) * 1e6 + overhead_us * has_work
    fixed_us = float(roofline_time(fixed_flops, fixed_bytes, hardware, **kwargs)) * 1e6 + overhead_us
    metadata = {"hardware": hardware.name, **kwargs, "overhead_us": overhead_us}
    return LatencyTable(space.candidates, layer_us, fixed_us, batch_size, f"roofline:{hardware.name}", metadata)


def measure_model_latencies(
    models: Sequence[nnx.Module], input_shape: tuple[int, ...], *, rounds: int = 5, per_round: int = 5, seed: int = 0
) -> np.ndarray:
    """Measure the evaluation-mode forward pass of each model at ``input_shape``, medians in microseconds.

    The models are timed in interleaved rounds (:func:`interleaved_medians`), so that all of
    them see the same mix of machine load.
    """
    x = jax.random.normal(jax.random.key(seed), tuple(input_shape))
    calls = []
    for model in track(list(models), "compile networks"):
        forward, state = _jitted_forward(model)
        calls.append((forward, (state, x)))
    return interleaved_medians(calls, rounds=rounds, per_round=per_round) * 1e6


def measure_network_latencies(
    space: SearchSpace,
    archs: Sequence[Sequence[str]],
    *,
    batch_size: int = 64,
    rounds: int = 5,
    per_round: int = 5,
    seed: int = 0,
) -> np.ndarray:
    """Measure whole networks ``archs`` of ``space``, medians in microseconds (see :func:`measure_model_latencies`)."""
    models = [space.build(arch, rngs=nnx.Rngs(seed)) for arch in archs]
    shape = (batch_size, space.input_size, space.input_size, space.in_channels)
    return measure_model_latencies(models, shape, rounds=rounds, per_round=per_round, seed=seed)


SINGLE_THREAD_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def space_to_dict(space: SearchSpace) -> dict[str, Any]:
    """Return the constructor arguments of ``space`` as JSON-ready values."""
    names = ("channels", "strides", "candidates", "stem_channels", "stem_stride", "head_channels", "in_channels", "num_classes", "input_size")
    return {n: list(v) if isinstance(v, tuple) else v for n, v in ((n, getattr(space, n)) for n in names)}


def space_from_dict(data: dict[str, Any]) -> SearchSpace:
    return SearchSpace(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def measure_in_subprocess(
    space: SearchSpace,
    *,
    table: bool = True,
    archs: Sequence[Sequence[str]] = (),
    baselines: Sequence[str] = (),
    batch_size: int = 64,
    rounds: int = 5,
    per_round: int = 5,
    seed: int = 0,
    single_thread: bool = True,
    in_process: bool = False,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """Measure a latency table and whole networks in a fresh process, by default on one CPU thread.

    XLA reads its thread settings when the backend starts, so a fresh process is the only way
    to time on one thread from a process that already uses JAX. One thread is the target here
    because on a machine shared with other jobs the multi-threaded CPU runtime made whole
    networks 2 to 3 times slower than the sum of their blocks (measured with load average ~11
    on 2 cores), while single-threaded runs stayed additive.

    Returns:
        ``{"table": LatencyTable or None, "archs_us": [...], "baselines_us": {name: us},
        "loadavg_before": [...], "loadavg_after": [...], "xla_flags": str}``. With
        ``in_process=True`` the measurement runs in this process with its thread settings
        (fast, for smoke runs).
    """
    import subprocess
    import sys

    job = {
        "space": space_to_dict(space),
        "table": table,
        "archs": [list(a) for a in archs],
        "baselines": list(baselines),
        "batch_size": batch_size,
        "rounds": rounds,
        "per_round": per_round,
        "seed": seed,
    }
    if in_process:
        out = run_latency_job(job)
        out["table"] = None if out["table"] is None else _table_from_dict(out["table"])
        out["xla_flags"] = os.environ.get("XLA_FLAGS", "")
        return out
    env = dict(os.environ)
    env["JAXSIM_PROGRESS"] = "0"
    env["JAX_PLATFORMS"] = "cpu"
    if single_thread:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + SINGLE_THREAD_XLA_FLAGS).strip()
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    result = subprocess.run(
        [sys.executable, "-m", "jaxsim.vision._latency_worker"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=root,
    )
    if result.returncode != 0:
        raise RuntimeError(f"latency measurement subprocess failed:\n{result.stderr[-3000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["table"] = None if out["table"] is None else _table_from_dict(out["table"])
    out["xla_flags"] = env.get("XLA_FLAGS", "")
    return out


def latency_model_accuracy(predicted: Sequence[float], measured: Sequence[float]) -> dict[str, float]:
    """Compare predicted with measured latencies.

    Returns:
        ``within_10pct`` (share with ``|pred - meas| <= 0.1 meas``), ``spearman`` (rank
        correlation), ``median_rel_error`` and ``n``.
    """
    from scipy.stats import spearmanr

    predicted, measured = np.asarray(predicted, float), np.asarray(measured, float)
    if predicted.shape != measured.shape or predicted.ndim != 1 or len(predicted) < 2:
        raise ValueError(f"need two equal-length lists of >= 2 latencies, got shapes {predicted.shape} and {measured.shape}.")
    relative = np.abs(predicted - measured) / measured
    rho = spearmanr(predicted, measured).statistic
    return {
        "within_10pct": float(np.mean(relative <= 0.10)),
        "spearman": float(rho),
        "median_rel_error": float(np.median(relative)),
        "n": int(len(predicted)),
    }


def _table_from_dict(data: dict[str, Any]) -> LatencyTable:
    return LatencyTable(
        tuple(data["candidates"]),
        np.asarray(data["layer_us"], float),
        float(data["fixed_us"]),
        int(data["batch_size"]),
        data.get("source", "measured"),
        data.get("metadata", {}),
    )


def run_latency_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one measurement job (the JSON form of :func:`measure_in_subprocess`'s arguments)."""
    from jaxsim.vision.baselines import build_baseline

    space = space_from_dict(job["space"])
    settings = dict(rounds=job["rounds"], per_round=job["per_round"], seed=job["seed"])
    before = list(os.getloadavg())
    table = measure_latency_table(space, batch_size=job["batch_size"], **settings) if job["table"] else None
    models = [space.build(a, rngs=nnx.Rngs(job["seed"])) for a in job["archs"]]
    models += [build_baseline(name, space, rngs=nnx.Rngs(job["seed"])) for name in job["baselines"]]
    shape = (job["batch_size"], space.input_size, space.input_size, space.in_channels)
    times = measure_model_latencies(models, shape, **settings).tolist() if models else []
    n = len(job["archs"])
    return {
        "table": None if table is None else table.to_dict(),
        "archs_us": times[:n],
        "baselines_us": dict(zip(job["baselines"], times[n:])),
        "loadavg_before": before,
        "loadavg_after": list(os.getloadavg()),
    }


def fit_roofline_table(
    space: SearchSpace,
    hardware: Hardware,
    calibration: Sequence[Sequence[int]],
    measured_us: Sequence[float],
    *,
    batch_size: int = 64,
    temperature: float = 0.05,
) -> tuple[LatencyTable, dict[str, float]]:
    """Fit the roofline's efficiencies and a per-block overhead to measured whole-network latencies.

    The model of one network is ``fixed + sum_l [roofline_time(F_l, B_l; eta_c, eta_m) + c]``
    (``c`` only for blocks that do work), with ``log eta_c``, ``log eta_m`` and ``log c``
    fitted by least squares on log latencies (:func:`jaxsim.core.fitting.fit_least_squares`)
    over the ``calibration`` architectures, given as candidate indices per layer.

    Returns:
        The fitted table and ``{"compute_efficiency", "memory_efficiency", "overhead_us"}``.
    """
    from jaxsim.core.fitting import fit_least_squares

    flops, moved, (fixed_flops, fixed_bytes) = block_costs(space, batch_size)
    has_work = jnp.asarray((flops > 0) | (moved > 0), jnp.float32)
    index = jnp.asarray(np.asarray(calibration), jnp.int32)
    rows = jnp.arange(space.n_layers)

    def tables(params):
        kwargs = dict(
            compute_efficiency=jnp.exp(params["log_eta_c"]),
            memory_efficiency=jnp.exp(params["log_eta_m"]),
            temperature=temperature,
        )
        overhead = jnp.exp(params["log_overhead_us"])
        layer = roofline_time(jnp.asarray(flops), jnp.asarray(moved), hardware, **kwargs) * 1e6 + overhead * has_work
        fixed = roofline_time(jnp.asarray(fixed_flops), jnp.asarray(fixed_bytes), hardware, **kwargs) * 1e6 + overhead
        return layer, fixed

    def model(params, index):
        layer, fixed = tables(params)
        return fixed + jnp.sum(layer[rows[None, :], index], axis=1)

    params0 = {"log_eta_c": jnp.log(0.1), "log_eta_m": jnp.log(0.1), "log_overhead_us": jnp.log(20.0)}
    # sigma = 0.1: timings on a shared CPU scatter by about 10 % (log units), which also lets
    # the fit run with as few networks as parameters.
    sigma = jnp.full((len(measured_us),), 0.1)
    fit = fit_least_squares(model, params0, index, jnp.asarray(measured_us, jnp.float32), sigma=sigma, log_residuals=True)
    layer, fixed = tables(fit.params)
    fitted = {
        "compute_efficiency": float(jnp.exp(fit.params["log_eta_c"])),
        "memory_efficiency": float(jnp.exp(fit.params["log_eta_m"])),
        "overhead_us": float(jnp.exp(fit.params["log_overhead_us"])),
    }
    table = LatencyTable(space.candidates, np.asarray(layer, float), float(fixed), batch_size, f"roofline-fit:{hardware.name}", fitted)
    return table, fitted


def fit_affine_correction(predicted: Sequence[float], measured: Sequence[float]) -> tuple[float, float]:
    """Fit ``measured ~ a * predicted + b`` by least squares; return ``(a, b)``.

    The additive block model misses effects of the whole program (fusion at block borders,
    cache reuse); one scale and one offset fitted on calibration networks absorb the mean of those.
    """
    predicted, measured = np.asarray(predicted, float), np.asarray(measured, float)
    if len(predicted) < 2:
        raise ValueError(f"an affine fit needs >= 2 calibration networks, got {len(predicted)}.")
    a, b = np.polyfit(predicted, measured, 1)
    return float(a), float(b)
