"""Published inference measurements and the fit of efficiencies and overheads to them.

Two data sets ship in ``jaxsim/roofline/data`` with their sources in the file headers:

- ``helm_idealized_a100.csv``: the idealized-runtime coefficients of Narayanan et al. 2023,
  "Cheaply Evaluating Inference Efficiency Metrics for Autoregressive Transformer APIs",
  arXiv:2305.02440, measured with Megatron on A100 80GB at batch 1 for GPT-J 6B, GPT-NeoX 20B,
  OPT 66B, BLOOM 176B and OPT 175B: the per-output-token cost and the prompt cost at 27 prompt
  lengths from 1 to 1920 tokens.
- ``nemo_llama2_latency.csv``: end-to-end latencies of Llama 2 7B and 13B (128 prompt and 20
  output tokens, batch 1 to 8, tensor-parallel 1 to 8) on A100 80GB and H100 SXM from the
  NVIDIA NeMo Framework user guide.

:func:`fit_stack` fits one :class:`~jaxsim.roofline.runtime.Efficiency` per software stack
(efficiencies through a logistic map, overheads through an exponential, so both stay in range)
by weighted least squares on log runtimes, with :func:`jaxsim.core.fitting.minimize`. The data
enter as weights, so leave-one-model-out folds reuse one compiled fit under ``vmap``.
"""

from __future__ import annotations

import csv
import dataclasses
from importlib import resources

import jax
import jax.numpy as jnp
import numpy as np

from jaxsim.core.fitting import minimize
from jaxsim.roofline.batch import minimum_tensor_parallel
from jaxsim.roofline.configs import get_model
from jaxsim.roofline.hardware import get_hardware, stack_hardware
from jaxsim.roofline.runtime import Efficiency, decode_step_time, prefill_time, request_time
from jaxsim.roofline.workload import model_dims, stack_dims

__all__ = [
    "HELM_MODELS",
    "HELM_PER_TOKEN_CONTEXT",
    "Measurements",
    "load_helm_idealized",
    "load_nemo_latency",
    "helm_tensor_parallel",
    "efficiency_from_params",
    "initial_params",
    "fit_stack",
    "leave_one_model_out",
    "mape",
    "predict",
]

#: Models of the idealized-runtime data set, in file order.
HELM_MODELS: tuple[str, ...] = ("gpt-j-6b", "gpt-neox-20b", "opt-66b", "bloom-176b", "opt-175b")

#: Context length at which the model's per-token cost is compared with the published slope.
#: NOTE: the published slope pools requests of many prompt lengths, and 960 tokens, the middle of the
#: prompt buckets, represents their mix.
HELM_PER_TOKEN_CONTEXT = 960.0


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("jaxsim.roofline.data").joinpath(name).read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    return list(csv.DictReader(lines))


@dataclasses.dataclass(frozen=True)
class Measurements:
    """Measured runtimes of one software stack, one row per point.

    Attributes:
        model: model name per row.
        hardware: hardware name per row.
        kind: ``"per_token"``, ``"prompt"`` or ``"request"`` per row.
        tensor_parallel: degree per row.
        batch, prompt_tokens, output_tokens: sizes per row (``output_tokens`` is 1 for prompt rows).
        seconds: measured seconds per row.
    """

    model: tuple[str, ...]
    hardware: tuple[str, ...]
    kind: tuple[str, ...]
    tensor_parallel: tuple[int, ...]
    batch: np.ndarray
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray
    seconds: np.ndarray

    def __len__(self) -> int:
        return len(self.model)

    def select(self, mask: np.ndarray) -> Measurements:
        """Return the rows where ``mask`` is True."""
        index = np.flatnonzero(mask)
        pick = lambda seq: tuple(seq[i] for i in index)  # noqa: E731
        return Measurements(
            pick(self.model), pick(self.hardware), pick(self.kind), pick(self.tensor_parallel),
            self.batch[index], self.prompt_tokens[index], self.output_tokens[index], self.seconds[index],
        )


def helm_tensor_parallel(model: str) -> int:
    """Return the tensor-parallel degree assumed for ``model`` in the idealized-runtime data.

    NOTE: the degree used in the measurements is not part of the released coefficients; this
    takes the smallest degree dividing the heads whose bf16 weights fill at most 80 % of an
    A100 80GB, restricted to powers of two as on an 8-GPU server (1 for GPT-J and GPT-NeoX,
    2 for OPT 66B, 8 for BLOOM and OPT 175B).
    """
    return minimum_tensor_parallel(
        get_model(model), get_hardware("a100-80gb"), bytes_per_element=2.0, headroom=0.8, powers_of_two=True
    )


def load_helm_idealized() -> Measurements:
    """Load the idealized-runtime coefficients on A100 80GB as per-token and prompt rows."""
    rows = _read_csv("helm_idealized_a100.csv")
    model, kind, prompt, output, seconds = [], [], [], [], []
    for row in rows:
        model.append(row["model"])
        kind.append(row["quantity"])
        if row["quantity"] == "per_token":
            prompt.append(HELM_PER_TOKEN_CONTEXT)
            output.append(2.0)
        else:
            prompt.append(float(row["prompt_tokens"]))
            output.append(1.0)
        seconds.append(float(row["seconds"]))
    n = len(model)
    return Measurements(
        tuple(model), ("a100-80gb",) * n, tuple(kind), tuple(helm_tensor_parallel(m) for m in model),
        np.ones(n), np.asarray(prompt), np.asarray(output), np.asarray(seconds),
    )


def load_nemo_latency(*, drop_flagged: bool = True) -> Measurements:
    """Load the Llama 2 end-to-end latencies (``kind = "request"``), in seconds.

    With ``drop_flagged`` the rows the file marks as non-monotone in batch size are left out.
    """
    rows = _read_csv("nemo_llama2_latency.csv")
    if drop_flagged:
        rows = [row for row in rows if not row["flag"]]
    n = len(rows)
    return Measurements(
        tuple(r["model"] for r in rows), tuple(r["hardware"] for r in rows), ("request",) * n,
        tuple(int(r["tensor_parallel"]) for r in rows),
        np.asarray([float(r["batch"]) for r in rows]), np.asarray([float(r["prompt_tokens"]) for r in rows]),
        np.asarray([float(r["output_tokens"]) for r in rows]), np.asarray([float(r["latency_ms"]) / 1e3 for r in rows]),
    )


def initial_params() -> dict[str, jax.Array]:
    """Return the unconstrained starting point: 50 % efficiencies, the table's collective latency and
    0.1 ms / 1 ms / 1 ms overheads."""
    return {
        "logit_compute": jnp.asarray(0.0),
        "logit_memory": jnp.asarray(0.0),
        "logit_network": jnp.asarray(0.0),
        "log_latency_scale": jnp.asarray(0.0),
        "log_layer_overhead": jnp.log(jnp.asarray(1e-4)),
        "log_step_overhead": jnp.log(jnp.asarray(1e-3)),
        "log_request_overhead": jnp.log(jnp.asarray(1e-3)),
    }


def efficiency_from_params(params: dict[str, jax.Array]) -> Efficiency:
    """Map unconstrained parameters to an :class:`Efficiency` (logistic and exponential maps)."""
    return Efficiency(
        compute=jax.nn.sigmoid(params["logit_compute"]),
        memory=jax.nn.sigmoid(params["logit_memory"]),
        network=jax.nn.sigmoid(params["logit_network"]),
        latency_scale=jnp.exp(params["log_latency_scale"]),
        layer_overhead_s=jnp.exp(params["log_layer_overhead"]),
        step_overhead_s=jnp.exp(params["log_step_overhead"]),
        request_overhead_s=jnp.exp(params["log_request_overhead"]),
    )


_KIND_CODES = {"per_token": 0, "prompt": 1, "request": 2}


def _row_setup(data: Measurements, hardware_override: str | None):
    dims = stack_dims([model_dims(get_model(m), t) for m, t in zip(data.model, data.tensor_parallel)])
    names = [hardware_override or h for h in data.hardware]
    chips = stack_hardware([get_hardware(name) for name in names], name="rows")
    kinds = jnp.asarray([_KIND_CODES[k] for k in data.kind])
    sizes = (jnp.asarray(data.batch), jnp.asarray(data.prompt_tokens), jnp.asarray(data.output_tokens))
    present = tuple(sorted({_KIND_CODES[k] for k in data.kind}))
    return dims, chips, kinds, sizes, present


def _predict_rows(dims, chips, kinds, sizes, present, efficiency: Efficiency) -> jax.Array:
    # Only the kinds present in the data are traced, which keeps the compiled fit small.
    def one(dim, chip, kind, batch, prompt, output):
        values = {}
        if 0 in present:
            values[0] = decode_step_time(dim, chip, batch, prompt, efficiency)
        if 1 in present:
            values[1] = efficiency.request_overhead_s + prefill_time(dim, chip, batch, prompt, efficiency)
        if 2 in present:
            values[2] = request_time(dim, chip, batch, prompt, jnp.maximum(output, 1.0), efficiency)
        codes = list(values)
        if len(codes) == 1:
            return values[codes[0]]
        return jnp.select([kind == code for code in codes[:-1]], [values[c] for c in codes[:-1]], values[codes[-1]])

    return jax.vmap(one)(dims, chips, kinds, *sizes)


def predict(data: Measurements, efficiency: Efficiency, *, hardware_override: str | None = None) -> jax.Array:
    """Return the model's seconds for every row of ``data``, all rows in one ``vmap``.

    ``hardware_override`` evaluates every row on another chip, for projections.
    """
    return _predict_rows(*_row_setup(data, hardware_override), efficiency)


def _point_weights(data: Measurements) -> np.ndarray:
    """Weight rows so each model counts once and, within it, per-token and prompt rows count equally."""
    weights = np.zeros(len(data))
    for model in set(data.model):
        for kind in set(data.kind):
            rows = [i for i in range(len(data)) if data.model[i] == model and data.kind[i] == kind]
            for i in rows:
                weights[i] = 1.0 / len(rows)
    return weights


def fit_stack(
    data: Measurements, weights_per_fold: np.ndarray | None = None, *, max_steps: int = 300
) -> tuple[dict[str, jax.Array], jax.Array]:
    """Fit efficiencies and overheads to ``data`` by weighted least squares on log seconds.

    Args:
        data: measurements of one software stack.
        weights_per_fold: ``(folds, n)`` non-negative row weights; default one fold with the
            balanced weights of every row. A zero weight leaves a row out of that fold.
        max_steps: L-BFGS steps per fold.

    Returns:
        ``(params, grad_norm)`` with a leading fold axis on every leaf.
    """
    base = _point_weights(data)
    if weights_per_fold is None:
        weights_per_fold = base[None, :]
    weights_per_fold = np.asarray(weights_per_fold, dtype=float) * base[None, :]
    log_y = jnp.log(jnp.asarray(data.seconds))
    rows = _row_setup(data, None)

    def fit_one(weights):
        def loss(params):
            prediction = _predict_rows(*rows, efficiency_from_params(params))
            return 0.5 * jnp.sum(weights * (log_y - jnp.log(prediction)) ** 2)

        params, _, grad_norm = minimize(loss, initial_params(), max_steps=max_steps, tol=1e-7)
        return params, grad_norm

    return jax.jit(jax.vmap(fit_one))(jnp.asarray(weights_per_fold))


def mape(predicted: np.ndarray, measured: np.ndarray) -> float:
    """Return the mean absolute percentage error ``100 mean |pred - meas| / meas``."""
    predicted = np.asarray(predicted, dtype=float)
    measured = np.asarray(measured, dtype=float)
    return float(100.0 * np.mean(np.abs(predicted - measured) / measured))


def leave_one_model_out(data: Measurements, *, max_steps: int = 300) -> dict[str, object]:
    """Fit on all models but one and predict the held-out one, for every model.

    Returns:
        A dict with ``models`` (held-out order), ``predictions`` (``(n,)`` held-out predictions
        for every row), ``mape`` (pooled over every row), ``per_model_mape``, ``per_kind_mape``
        and ``params`` per fold; and the fit to every model: ``fit_params``, ``fit_predictions``,
        ``fit_mape``; ``grad_norm`` of every fold at its end.
    """
    models = sorted(set(data.model), key=data.model.index)
    # Fold 0 fits every model (the in-sample fit); fold i > 0 leaves model i - 1 out. All folds
    # run in one vmapped, once-compiled fit.
    masks = np.asarray([[1.0] * len(data)] + [[m != held for m in data.model] for held in models], dtype=float)
    params, grad_norm = fit_stack(data, masks, max_steps=max_steps)
    all_params = jax.tree.map(lambda leaf: leaf[0], params)
    in_sample = np.asarray(predict(data, efficiency_from_params(all_params)))
    predictions = np.zeros(len(data))
    for fold, held in enumerate(models, start=1):
        fold_params = jax.tree.map(lambda leaf: leaf[fold], params)
        values = np.asarray(predict(data, efficiency_from_params(fold_params)))
        rows = np.asarray([m == held for m in data.model])
        predictions[rows] = values[rows]
    per_model = {m: mape(predictions[np.asarray(data.model) == m], data.seconds[np.asarray(data.model) == m]) for m in models}
    per_kind = {k: mape(predictions[np.asarray(data.kind) == k], data.seconds[np.asarray(data.kind) == k])
                for k in sorted(set(data.kind))}
    return {
        "models": models,
        "predictions": predictions,
        "mape": mape(predictions, data.seconds),
        "per_model_mape": per_model,
        "per_kind_mape": per_kind,
        "params": jax.tree.map(lambda leaf: leaf[1:], params),
        "fit_params": all_params,
        "fit_predictions": in_sample,
        "fit_mape": mape(in_sample, data.seconds),
        "grad_norm": np.asarray(grad_norm),
    }
