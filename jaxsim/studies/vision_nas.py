"""Study ``vision-nas``: published model counts, latency models, and FBNet-style DNAS on 8 x 8 digits.

Steps: (1) parameters and MACs of SqueezeNet 1.0/1.1, MobileNetV2 and FBNet-A/B/C at 224 x 224
against the published counts; (2) a latency lookup table of the digits search space measured on
one CPU thread, and held-out random architectures to test it and a fitted roofline model;
(3) the DNAS search (Wu et al. 2019, arXiv:1812.03443); (4) retraining of architectures sampled
from the learned distribution, of MobileNetV2- and SqueezeNet-style baselines and of random
architectures, each measured for test accuracy and latency in one interleaved timing session.
"""

from __future__ import annotations

import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from flax import nnx

from jaxsim.roofline import measure_cpu
from jaxsim.studies import register
from jaxsim.vision.baselines import BASELINES, build_baseline
from jaxsim.vision.counting import abstract_model, count_costs, count_params
from jaxsim.vision.data import load_digits_splits
from jaxsim.vision.dnas import DNASConfig, run_search
from jaxsim.vision.latency import (
    fit_affine_correction,
    fit_roofline_table,
    latency_model_accuracy,
    measure_in_subprocess,
)
from jaxsim.vision.models import fbnet, mobilenet_v2, squeezenet1_0, squeezenet1_1
from jaxsim.vision.search_space import DIGITS_SPACE, QUICK_DIGITS_SPACE
from jaxsim.vision.training import accuracy, train_classifier

# Baselines without batch normalisation, which need a smaller Adam step to train.
_UNNORMALISED_BASELINES = ("squeezenet_style",)

# (name, factory, published parameters, published MACs, source); None where no count is published.
PUBLISHED = [
    ("SqueezeNet 1.0", lambda: squeezenet1_0(rngs=nnx.Rngs(0)), 1.25e6, None, "Iandola et al. 2016, Table 1"),
    ("SqueezeNet 1.1", lambda: squeezenet1_1(rngs=nnx.Rngs(0)), 1.24e6, 0.35e9, "SqueezeNet v1.1 release notes"),
    ("MobileNetV2 1.0", lambda: mobilenet_v2(rngs=nnx.Rngs(0)), 3.4e6, 300e6, "Sandler et al. 2018, Table 4"),
    ("FBNet-A", lambda: fbnet("a", rngs=nnx.Rngs(0)), 4.3e6, 249e6, "Wu et al. 2019, Table 3"),
    ("FBNet-B", lambda: fbnet("b", rngs=nnx.Rngs(0)), 4.5e6, 295e6, "Wu et al. 2019, Table 3"),
    ("FBNet-C", lambda: fbnet("c", rngs=nnx.Rngs(0)), 5.5e6, 375e6, "Wu et al. 2019, Table 3"),
]


def published_counts_table(names: list[str] | None = None) -> list[list]:
    """Count the published models (all, or ``names``) at 224 x 224 x 3 and 1000 classes, computing nothing."""
    rows = []
    for name, factory, params_pub, macs_pub, source in PUBLISHED:
        if names is not None and name not in names:
            continue
        model = abstract_model(factory)
        params = count_params(model)
        macs = count_costs(model, (1, 224, 224, 3)).macs
        rows.append([name, params, params_pub, macs, macs_pub if macs_pub else "n/a", source])
    return rows


def _settings(quick: bool) -> dict:
    if quick:
        return dict(
            space=QUICK_DIGITS_SPACE,
            dnas=DNASConfig(epochs=1, warmup_epochs=0, batch_size=128),
            retrain_epochs=1,
            retrain_lr=2e-2,
            retrain_shift=1,
            n_samples=0,
            n_random=0,
            n_heldout=3,
            n_calibration=3,
            rounds=1,
            per_round=3,
            in_process=True,
        )
    return dict(
        space=DIGITS_SPACE,
        dnas=DNASConfig(epochs=6, warmup_epochs=2, batch_size=64, arch_lr=0.05, arch_passes=4),
        retrain_epochs=32,
        retrain_lr=2e-2,
        retrain_shift=1,
        n_samples=1,
        n_random=1,
        n_heldout=20,
        n_calibration=6,
        rounds=2,
        per_round=4,
        in_process=False,
    )


@register("vision-nas", "Efficient CNN counts, CPU latency models and FBNet-style DNAS on 8x8 digits")
def run(report):
    cfg = _settings(report.quick)
    space = cfg["space"]
    seed = report.seed
    rng = np.random.default_rng(seed)
    out = report.out_dir
    out.mkdir(parents=True, exist_ok=True)
    report.add_settings(
        space_channels=list(space.channels),
        space_strides=list(space.strides),
        candidates=list(space.candidates),
        dnas=cfg["dnas"].__dict__,
        retrain_epochs=cfg["retrain_epochs"],
        retrain_learning_rate=cfg["retrain_lr"],
        retrain_max_shift=cfg["retrain_shift"],
        latency_batch=64,
        latency_threads=1,
    )

    # 1. Published counts.
    rows = published_counts_table(["SqueezeNet 1.1", "FBNet-A"] if report.quick else None)
    report.add_table("published_counts", ["model", "params", "params_published", "macs", "macs_published", "source"], rows)
    for name, params, params_pub, macs, macs_pub, _ in rows:
        key = name.lower().replace(" ", "_").replace(".", "_").replace("-", "_")
        report.add_metric(f"{key}_params_rel_error", abs(params - params_pub) / params_pub)
        if macs_pub != "n/a":
            report.add_metric(f"{key}_macs_rel_error", abs(macs - macs_pub) / macs_pub)

    # 2. Latency table and held-out architectures, timed on one CPU thread in a fresh process.
    start = time.perf_counter()
    heldout = [space.sample(rng) for _ in range(cfg["n_heldout"])]
    calibration = [space.sample(rng) for _ in range(cfg["n_calibration"])]
    measured = measure_in_subprocess(
        space,
        archs=heldout + calibration,
        rounds=cfg["rounds"],
        per_round=cfg["per_round"],
        seed=seed,
        in_process=cfg["in_process"],
    )
    table = measured["table"]
    table.save(out / "latency_table.json")
    times = np.asarray(measured["archs_us"])
    heldout_us, calib_us = times[: len(heldout)], times[len(heldout) :]
    raw_pred = np.array([table.network_us(space.indices(a)) for a in heldout])
    calib_pred = np.array([table.network_us(space.indices(a)) for a in calibration])
    scale, offset = fit_affine_correction(calib_pred, calib_us)
    lut = latency_model_accuracy(raw_pred, heldout_us)
    lut_cal = latency_model_accuracy(scale * raw_pred + offset, heldout_us)
    hardware = measure_cpu(matrix_size=128 if report.quick else 512, copy_mib=8 if report.quick else 64, repeats=3)
    roof_table, roof_fit = fit_roofline_table(space, hardware, [space.indices(a) for a in calibration], calib_us)
    roof_pred = np.array([roof_table.network_us(space.indices(a)) for a in heldout])
    roof = latency_model_accuracy(roof_pred, heldout_us)
    report.add_metrics(
        {
            "latency_model_within_10pct": lut["within_10pct"],
            "latency_model_spearman": lut["spearman"],
            "latency_model_median_rel_error": lut["median_rel_error"],
            "latency_model_calibrated_within_10pct": lut_cal["within_10pct"],
            "latency_model_calibrated_spearman": lut_cal["spearman"],
            "roofline_model_within_10pct": roof["within_10pct"],
            "roofline_model_spearman": roof["spearman"],
            "latency_heldout_count": len(heldout),
            "latency_measure_s": time.perf_counter() - start,
            "latency_loadavg_1min": measured["loadavg_after"][0],
        }
    )
    report.add_settings(roofline_fit=roof_fit, affine_correction=[scale, offset], cpu_peak_flops=float(hardware.peak_flops))

    # 3. DNAS search.
    data = load_digits_splits(seed=seed)
    start = time.perf_counter()
    result = run_search(space, data.train, table, config=cfg["dnas"], seed=seed, checkpoint_dir=out / "checkpoints" / "dnas")
    report.add_metric("search_s", time.perf_counter() - start)
    report.add_table(
        "architecture_probabilities",
        ["layer", *space.candidates],
        [[i, *map(float, p)] for i, p in enumerate(result.probabilities)],
    )

    # 4. Retrain sampled, baseline and random architectures; measure them in one session.
    candidates = {"searched_argmax": result.argmax_arch}
    for i in range(cfg["n_samples"]):
        candidates[f"searched_sample{i}"] = space.sample(rng, result.probabilities)
    for i in range(cfg["n_random"]):
        candidates[f"random{i}"] = space.sample(rng)
    # One recipe for every network (searched, random and baselines): AdamW (decoupled weight decay
    # 0.05) with cosine decay and random one-pixel shifts of the training images.
    recipe = dict(epochs=cfg["retrain_epochs"], learning_rate=cfg["retrain_lr"], weight_decay=5e-2, max_shift=cfg["retrain_shift"])
    start = time.perf_counter()
    trained = {}
    for name, arch in candidates.items():
        model = space.build(arch, rngs=nnx.Rngs(seed))
        fit = train_classifier(model, data.train, data.val, seed=seed, description=name, **recipe)
        trained[name] = dict(arch=" ".join(arch), val=fit.val_accuracy, test=accuracy(model, data.test), params=count_params(model))
    for name in BASELINES:
        model = build_baseline(name, space, rngs=nnx.Rngs(seed))
        ckpt = out / "checkpoints" / name
        baseline_recipe = dict(recipe)
        if name in _UNNORMALISED_BASELINES:
            # SqueezeNet has no batch norm and diverges to chance accuracy at the shared step size.
            # It trains with a tenth of that step, and every other setting stays shared.
            baseline_recipe["learning_rate"] = recipe["learning_rate"] / 10
        fit = train_classifier(
            model, data.train, data.val, seed=seed, checkpoint_dir=ckpt, description=name, **baseline_recipe
        )
        trained[name] = dict(arch=name, val=fit.val_accuracy, test=accuracy(model, data.test), params=count_params(model))
    report.add_metric("retrain_s", time.perf_counter() - start)

    arch_names = list(candidates)
    final = measure_in_subprocess(
        space,
        table=False,
        archs=[candidates[n] for n in arch_names],
        baselines=list(BASELINES),
        rounds=cfg["rounds"] + 1,
        per_round=cfg["per_round"],
        seed=seed,
        in_process=cfg["in_process"],
    )
    for name, us in zip(arch_names, final["archs_us"]):
        trained[name]["latency_us"] = us
    for name, us in final["baselines_us"].items():
        trained[name]["latency_us"] = us

    searched = [n for n in arch_names if n.startswith("searched")]
    best = max(searched, key=lambda n: trained[n]["val"])
    baseline_latency = min(trained[n]["latency_us"] for n in BASELINES)
    report.add_metrics(
        {
            "searched_test_accuracy": trained[best]["test"],
            "searched_val_accuracy": trained[best]["val"],
            "searched_latency_ms": trained[best]["latency_us"] / 1e3,
            "searched_predicted_latency_ms": table.network_us(space.indices(candidates[best])) / 1e3,
            "baseline_latency_ms": baseline_latency / 1e3,
            "mobilenet_v2_style_test_accuracy": trained["mobilenet_v2_style"]["test"],
            "mobilenet_v2_style_latency_ms": trained["mobilenet_v2_style"]["latency_us"] / 1e3,
            "squeezenet_style_test_accuracy": trained["squeezenet_style"]["test"],
            "squeezenet_style_latency_ms": trained["squeezenet_style"]["latency_us"] / 1e3,
            "searched_faster_than_baselines": trained[best]["latency_us"] < baseline_latency,
            "final_loadavg_1min": final["loadavg_after"][0],
            "loadavg_1min_end": os.getloadavg()[0],
        }
    )
    report.add_settings(searched_architecture=trained[best]["arch"])
    report.add_table(
        "accuracy_latency",
        ["name", "architecture", "params", "val_accuracy", "test_accuracy", "latency_ms"],
        [[n, t["arch"], t["params"], t["val"], t["test"], t["latency_us"] / 1e3] for n, t in trained.items()],
    )

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    colors = {"searched": "C0", "random": "C7", "mobilenet_v2_style": "C1", "squeezenet_style": "C2"}
    for name, t in trained.items():
        kind = next(k for k in colors if name.startswith(k))
        axes[0].scatter(t["latency_us"] / 1e3, 100 * t["test"], color=colors[kind], label=name)
    axes[0].set_xlabel("measured latency per batch of 64 (ms, 1 CPU thread)")
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].legend(fontsize=7)
    axes[0].set_title("digits: accuracy vs latency")
    lim = [min(heldout_us.min(), raw_pred.min()) / 1e3 * 0.9, max(heldout_us.max(), raw_pred.max()) / 1e3 * 1.1]
    axes[1].scatter(heldout_us / 1e3, raw_pred / 1e3, label="lookup table", s=12)
    axes[1].scatter(heldout_us / 1e3, (scale * raw_pred + offset) / 1e3, label="table, affine-calibrated", s=12)
    axes[1].scatter(heldout_us / 1e3, roof_pred / 1e3, label="roofline, fitted", s=12)
    axes[1].plot(lim, lim, "k--", lw=1)
    axes[1].set_xlabel("measured (ms)")
    axes[1].set_ylabel("predicted (ms)")
    axes[1].legend(fontsize=7)
    axes[1].set_title("latency models on held-out architectures")
    fig.tight_layout()
    report.add_figure("vision_nas", fig)
    plt.close(fig)
