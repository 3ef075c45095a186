"""Idealized runtime of transformer inference: fit, leave-one-model-out validation, projection.

The study fits the efficiencies and overheads of the roofline runtime model
(:mod:`jaxsim.roofline.runtime`) to the idealized-runtime coefficients that Narayanan et al.
2023 ("Cheaply Evaluating Inference Efficiency Metrics for Autoregressive Transformer APIs",
arXiv:2305.02440) measured with Megatron on A100 80GB, reports the in-sample error and the
leave-one-model-out error, projects the idealized-runtime table onto H100, H200 and TPU v5e,
and answers batch questions: runtime against prompt length, the latency-throughput trade-off
and the throughput-optimal batch under a per-token latency budget. The full run adds the Llama 2
latencies of the NVIDIA NeMo Framework user guide: a fit on A100 rows predicts the H100 rows,
and a sweep over thousands of configurations under ``vmap`` with gradients.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from jaxsim.core.ensemble import ensemble  # noqa: E402
from jaxsim.core.report import Report  # noqa: E402
from jaxsim.roofline import (  # noqa: E402
    attainable_flops,
    decode_cost,
    decode_step_time,
    get_hardware,
    get_model,
    minimum_tensor_parallel,
    optimal_batch,
    prefill_cost,
    prefill_time,
    stack_hardware,
)
from jaxsim.roofline.validation import (  # noqa: E402
    HELM_MODELS,
    HELM_PER_TOKEN_CONTEXT,
    efficiency_from_params,
    fit_stack,
    helm_tensor_parallel,
    leave_one_model_out,
    load_helm_idealized,
    load_nemo_latency,
    mape,
    predict,
)
from jaxsim.studies import register  # noqa: E402

PROJECTION_HARDWARE = ("a100-80gb", "h100-sxm", "h200", "tpu-v5e")
LATENCY_BUDGET_S = 0.030
TRADEOFF_CONTEXT = 1024.0


def _degree(config, chip) -> int:
    """Smallest power-of-two degree that fits, else the smallest dividing degree (e.g. 12 for 72 heads)."""
    try:
        return minimum_tensor_parallel(config, chip, headroom=0.8, powers_of_two=True)
    except ValueError:
        return minimum_tensor_parallel(config, chip, headroom=0.8)


def _helm_section(report: Report, max_steps: int):
    data = load_helm_idealized()
    result = leave_one_model_out(data, max_steps=max_steps)
    efficiency = efficiency_from_params(result["fit_params"])

    report.add_metrics(
        {
            "idealized_fit_mape": result["fit_mape"],
            "validation_mape": result["mape"],
            "validation_per_token_mape": result["per_kind_mape"]["per_token"],
            "validation_prompt_mape": result["per_kind_mape"]["prompt"],
            "fitted_compute_efficiency": efficiency.compute,
            "fitted_memory_efficiency": efficiency.memory,
            "fitted_network_efficiency": efficiency.network,
            "fitted_latency_scale": efficiency.latency_scale,
            "fitted_layer_overhead_ms": 1e3 * efficiency.layer_overhead_s,
            "fitted_step_overhead_ms": 1e3 * efficiency.step_overhead_s,
            "fitted_request_overhead_ms": 1e3 * efficiency.request_overhead_s,
            "fit_max_grad_norm": float(np.max(result["grad_norm"])),
        }
    )
    for model, value in result["per_model_mape"].items():
        report.add_metric(f"validation_mape_{model}", value)

    rows = []
    for model in HELM_MODELS:
        index = [i for i, m in enumerate(data.model) if m == model]
        per_token = [i for i in index if data.kind[i] == "per_token"][0]
        prompt = [i for i in index if data.kind[i] == "prompt" and data.prompt_tokens[i] == 1920][0]
        rows.append(
            [
                model,
                helm_tensor_parallel(model),
                data.seconds[per_token],
                result["fit_predictions"][per_token],
                result["predictions"][per_token],
                data.seconds[prompt],
                result["fit_predictions"][prompt],
                result["predictions"][prompt],
                result["per_model_mape"][model],
            ]
        )
    report.add_table(
        "idealized_runtime_a100",
        ["model", "tensor_parallel", "per_token_published_s", "per_token_fit_s", "per_token_held_out_s",
         "prompt_1920_published_s", "prompt_1920_fit_s", "prompt_1920_held_out_s", "held_out_mape_pct"],
        rows,
    )
    return data, result, efficiency


def _projection_section(report: Report, efficiency):
    """Project per-token and 1920-token prompt costs onto other chips with the A100-fitted stack."""
    rows = []
    for model in HELM_MODELS:
        config = get_model(model)
        for name in PROJECTION_HARDWARE:
            chip = get_hardware(name)
            degree = _degree(config, chip)
            per_token = float(decode_step_time(config, chip, 1.0, HELM_PER_TOKEN_CONTEXT, efficiency,
                                               tensor_parallel=degree))
            prompt = float(efficiency.request_overhead_s
                           + prefill_time(config, chip, 1.0, 1920.0, efficiency, tensor_parallel=degree))
            rows.append([model, name, degree, per_token, prompt, degree * (prompt + 99 * per_token)])
            if name == "h200":
                report.add_metric(f"projected_per_token_ms_{model}_h200", 1e3 * per_token)
    report.add_table(
        "idealized_runtime_projection",
        ["model", "hardware", "tensor_parallel", "per_token_s", "prompt_1920_s",
         "accelerator_seconds_1920_in_100_out"],
        rows,
    )
    report.add_note(
        "Projections keep the efficiencies and overheads fitted on A100 with Megatron; they assume the same "
        "software stack on every chip and the smallest tensor-parallel degree whose weights fit 80 % of memory "
        "(a power of two where one fits, else the smallest degree that divides the heads)."
    )


def _roofline_figure(report: Report):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    intensity = jnp.logspace(-1, 4, 200)
    for name in PROJECTION_HARDWARE:
        chip = get_hardware(name)
        ax.loglog(intensity, attainable_flops(intensity, chip, temperature=0.0) / 1e12, label=name)
    config = get_model("llama-2-7b")
    phases = {
        "decode b=1": decode_cost(config, 1.0, 1024.0),
        "decode b=64": decode_cost(config, 64.0, 1024.0),
        "prefill 1024": prefill_cost(config, 1.0, 1024.0),
    }
    a100 = get_hardware("a100-80gb")
    for label, cost in phases.items():
        point = float(cost.total_flops / cost.total_bytes)
        ax.scatter([point], [float(attainable_flops(point, a100, temperature=0.0)) / 1e12], zorder=3)
        ax.annotate(f"Llama 2 7B {label}", (point, float(attainable_flops(point, a100, temperature=0.0)) / 1e12),
                    fontsize=7, xytext=(4, -10), textcoords="offset points")
    ax.set_xlabel("arithmetic intensity (FLOP/byte)")
    ax.set_ylabel("attainable TFLOP/s (dense bf16 peak)")
    ax.set_title("Roofline of the hardware table")
    ax.legend(fontsize=8)
    report.add_figure("roofline", fig)


def _prompt_figure(report: Report, data, result):
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for model in HELM_MODELS:
        rows = np.asarray([i for i, (m, k) in enumerate(zip(data.model, data.kind)) if m == model and k == "prompt"])
        line = ax.plot(data.prompt_tokens[rows], data.seconds[rows], "o", ms=3, label=f"{model} published")[0]
        ax.plot(data.prompt_tokens[rows], result["predictions"][rows], "-", color=line.get_color(), lw=1)
    ax.set_xlabel("prompt tokens")
    ax.set_ylabel("prompt cost (s)")
    ax.set_title("Prompt cost on A100 80GB: published (dots), held-out model (lines)")
    ax.legend(fontsize=7)
    report.add_figure("runtime_vs_prompt_length", fig)


def _tradeoff_section(report: Report, efficiency):
    """Latency-throughput curves over a real-valued batch and the optimal batch under a budget."""
    config = get_model("llama-2-7b")
    names = ("a100-80gb", "h100-sxm", "h200")
    chips = stack_hardware([get_hardware(name) for name in names])
    batches = jnp.logspace(0, 9, 64, base=2.0)

    def curve(chip):
        return jax.vmap(lambda b: decode_step_time(config, chip, b, TRADEOFF_CONTEXT, efficiency))(batches)

    def best(chip):
        return optimal_batch(config, chip, TRADEOFF_CONTEXT, LATENCY_BUDGET_S, efficiency)

    # One compiled program per question, vmapped over the stacked chips.
    steps = np.asarray(jax.jit(jax.vmap(curve))(chips))
    optimum = jax.jit(jax.vmap(best))(chips)
    # At a latency-bound optimum T(b*, chip) = budget, so by the implicit function theorem the
    # elasticity of the optimal throughput b* / budget with respect to a specification x is
    # -(d log T / d log x) / (d log T / d log b), from first derivatives of the step time only.
    def log_step(log_batch, chip):
        return jnp.log(decode_step_time(config, chip, jnp.exp(log_batch), TRADEOFF_CONTEXT, efficiency))

    slope_batch, grads = jax.jit(jax.vmap(jax.grad(log_step, argnums=(0, 1))))(jnp.log(optimum.batch), chips)

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    rows = []
    for i, name in enumerate(names):
        line = ax.plot(1e3 * steps[i], np.asarray(batches) / steps[i], label=name)[0]
        ax.scatter([1e3 * float(optimum.step_time[i])], [float(optimum.throughput[i])], marker="*", s=90,
                   color=line.get_color(), zorder=3)
        rows.append([name, float(optimum.batch[i]), 1e3 * float(optimum.step_time[i]), float(optimum.throughput[i]),
                     bool(optimum.memory_bound[i]), bool(optimum.feasible[i])])
        report.add_metric(f"optimal_batch_{name}", optimum.batch[i])
        report.add_metric(f"optimal_throughput_tokens_per_s_{name}", optimum.throughput[i])
        # Elasticity: relative change of the optimal throughput per relative change of a specification.
        for field in ("memory_bandwidth", "peak_flops"):
            log_slope = getattr(grads, field)[i] * getattr(chips, field)[i]
            report.add_metric(f"throughput_elasticity_{field}_{name}", -log_slope / slope_batch[i])
    ax.axvline(1e3 * LATENCY_BUDGET_S, color="gray", ls="--", lw=1, label="latency budget")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("per-token latency (ms)")
    ax.set_ylabel("throughput (tokens/s)")
    ax.set_title(f"Llama 2 7B decode at {int(TRADEOFF_CONTEXT)} context, batch 1 to 512 (stars: optimum)")
    ax.legend(fontsize=8)
    report.add_figure("latency_throughput", fig)
    report.add_table(
        "optimal_batch",
        ["hardware", "batch", "per_token_ms", "throughput_tokens_per_s", "memory_bound", "feasible"],
        rows,
    )


def _nemo_section(report: Report, max_steps: int):
    """Fit the TensorRT-LLM stack on A100 Llama 2 7B rows and predict the H100 rows."""
    data = load_nemo_latency()
    ideal = np.asarray(predict(data, efficiency_from_params(_ideal_params())))
    below = data.seconds < ideal
    report.add_metric("nemo_rows_below_roofline_bound", int(np.sum(below)))
    inconsistent = {m for m, flag in zip(data.model, below) if flag}
    report.add_note(
        "NeMo models with any row faster than the bf16 roofline bound (efficiency 1, no overhead) are left out: "
        f"those rows cannot be bf16 runs of the stated sizes ({', '.join(sorted(inconsistent)) or 'none'})."
    )
    usable = data.select(np.asarray([m not in inconsistent for m in data.model]))
    train = usable.select(np.asarray([h == "a100-80gb" for h in usable.hardware]))
    test = usable.select(np.asarray([h == "h100-sxm" for h in usable.hardware]))
    params, _ = fit_stack(train, max_steps=max_steps)
    efficiency = efficiency_from_params(jax.tree.map(lambda leaf: leaf[0], params))
    report.add_metric("nemo_a100_fit_mape", mape(np.asarray(predict(train, efficiency)), train.seconds))
    report.add_metric("nemo_fitted_latency_scale", efficiency.latency_scale)
    report.add_metric("nemo_fitted_memory_efficiency", efficiency.memory)
    report.add_metric("h100_projection_mape", mape(np.asarray(predict(test, efficiency)), test.seconds))
    report.add_metric("nemo_rows_used", len(usable))


def _ideal_params():
    big = jnp.asarray(30.0)
    tiny = jnp.log(jnp.asarray(1e-30))
    return {"logit_compute": big, "logit_memory": big, "logit_network": big, "log_latency_scale": tiny,
            "log_layer_overhead": tiny, "log_step_overhead": tiny, "log_request_overhead": tiny}


def _sweep_section(report: Report, efficiency):
    """Evaluate decode step times for thousands of (batch, context) configurations per chip."""
    config = get_model("llama-2-13b")
    batch, context = jnp.meshgrid(jnp.linspace(1.0, 256.0, 64), jnp.linspace(128.0, 8192.0, 64))
    grid = jnp.stack([batch.ravel(), context.ravel()], axis=-1)
    total = 0
    for name in ("a100-80gb", "h100-sxm", "h200", "tpu-v5e"):
        chip = get_hardware(name)
        degree = _degree(config, chip)
        times = ensemble(
            lambda row: decode_step_time(config, chip, row[0], row[1], efficiency, tensor_parallel=degree), grid
        )
        total += int(times.shape[0])
        report.add_metric(f"sweep_median_step_ms_{name}", 1e3 * float(jnp.median(times)))
    report.add_metric("sweep_configurations", total)


@register("inference-runtime", "Idealized runtime of transformer inference from differentiable rooflines")
def run(report: Report) -> None:
    quick = report.quick
    max_steps = 100 if quick else 400
    report.add_settings(
        fit_max_steps=max_steps,
        latency_budget_s=LATENCY_BUDGET_S,
        tradeoff_context_tokens=TRADEOFF_CONTEXT,
        per_token_context_tokens=HELM_PER_TOKEN_CONTEXT,
        projection_hardware=list(PROJECTION_HARDWARE),
        validation_source="Narayanan et al. 2023, arXiv:2305.02440, coefficients from stanford-crfm/helm",
    )
    clock = time.perf_counter()
    data, result, efficiency = _helm_section(report, max_steps)
    sections = [
        ("projection", lambda: _projection_section(report, efficiency)),
        ("figures", lambda: (_roofline_figure(report), _prompt_figure(report, data, result))),
        ("tradeoff", lambda: _tradeoff_section(report, efficiency)),
    ]
    if not quick:
        sections += [
            ("nemo", lambda: _nemo_section(report, max_steps)),
            ("sweep", lambda: _sweep_section(report, efficiency)),
        ]
    report.add_metric("section_seconds_helm_fit", time.perf_counter() - clock)
    for name, section in sections:
        clock = time.perf_counter()
        section()
        report.add_metric(f"section_seconds_{name}", time.perf_counter() - clock)
