"""Training of the score network with optax, an EMA of the weights and orbax checkpoints.

The loop splits the Flax NNX model into a graph definition and pytrees of parameters once,
outside the loop, and runs ``log_every`` optimiser steps per call of one jitted
``lax.scan``. Every random number comes from ``fold_in(key(seed), step)``, so a run that
resumes from a checkpoint repeats, step for step, the run that was never interrupted.

Optimiser: gradient clipping by global norm, then AdamW (I. Loshchilov and F. Hutter,
"Decoupled weight decay regularization", arXiv:1711.05101) with a linear warm-up followed by
cosine decay (I. Loshchilov and F. Hutter, "SGDR: stochastic gradient descent with warm
restarts", arXiv:1608.03983). The exponential moving average of the weights uses the decay
``min(ema_decay, (1 + t) / (10 + t))`` so that early steps are not dominated by the
initial weights.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jaxtyping import Array, Float

from jaxsim.active.learning.losses import Drift, LossConfig, score_matching_loss
from jaxsim.active.learning.network import ScoreNetwork
from jaxsim.active.learning.score import ScoreInputs, validate_inputs
from jaxsim.active.learning.skip_fit import fit_linear_skip
from jaxsim.core.checkpoint import Checkpointer
from jaxsim.core.progress import progress_bar

__all__ = ["ScoreDataset", "TrainConfig", "TrainResult", "train_score"]


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of :func:`train_score` (all static).

    Attributes:
        steps: optimiser steps in the whole run (fixes the schedule, also on resume).
        batch_size: configurations per step, drawn without replacement when possible.
        learning_rate: peak learning rate after warm-up.
        warmup_steps: steps of linear warm-up from zero.
        final_learning_rate_fraction: learning rate at the end over the peak.
        clip_norm: maximum global gradient norm.
        weight_decay: AdamW decoupled weight decay.
        ema_decay: decay of the exponential moving average of the weights.
        seed: seed of batch selection and loss noise.
        log_every: steps per jitted chunk; the loss history and the progress bar update
            after each chunk.
        checkpoint_every: steps between checkpoints (a multiple of ``log_every``).
        skip_fit_samples: before the first step of a fresh run, fit the network's linear
            skip path in closed form (:func:`~jaxsim.active.learning.skip_fit.fit_linear_skip`)
            on up to this many samples; 0 skips the fit.
    """

    steps: int = 2000
    batch_size: int = 8
    learning_rate: float = 2e-3
    warmup_steps: int = 100
    final_learning_rate_fraction: float = 0.02
    clip_norm: float = 1.0
    weight_decay: float = 0.0
    ema_decay: float = 0.995
    seed: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    skip_fit_samples: int = 1024

    def __post_init__(self):
        for name in ("steps", "batch_size", "log_every", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}.")
        if self.checkpoint_every % self.log_every:
            raise ValueError(
                f"checkpoint_every ({self.checkpoint_every}) must be a multiple of log_every ({self.log_every})."
            )
        if not 0 <= self.warmup_steps < self.steps:
            raise ValueError(f"warmup_steps must lie in [0, steps={self.steps}), got {self.warmup_steps}.")
        if not self.learning_rate > 0 or not self.clip_norm > 0:
            raise ValueError(
                f"learning_rate and clip_norm must be > 0, got {self.learning_rate} and {self.clip_norm}."
            )
        if self.skip_fit_samples < 0:
            raise ValueError(f"skip_fit_samples must be >= 0, got {self.skip_fit_samples}.")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must lie in [0, 1), got {self.ema_decay}.")


class ScoreDataset(eqx.Module):
    """Training configurations with a leading sample axis.

    Attributes:
        inputs: network inputs of every sample, leaves of shape ``(samples, n, ...)``.
        drift: drift per sample for the Fokker-Planck penalty, or None.
    """

    inputs: ScoreInputs
    drift: Drift | None = None

    @property
    def n_samples(self) -> int:
        return self.inputs.propulsion.shape[0]


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_score`.

    Attributes:
        model: the network with the EMA weights (use this one for estimates).
        raw_model: the network with the last optimiser weights.
        losses: loss of every step, shape ``(steps,)``.
        resumed_from: step the run resumed from, 0 for a fresh run.
    """

    model: ScoreNetwork
    raw_model: ScoreNetwork
    losses: Float[Array, " steps"]
    resumed_from: int


def _optimizer(config: TrainConfig) -> optax.GradientTransformation:
    schedule = optax.warmup_cosine_decay_schedule(
        init_value=0.0,
        peak_value=config.learning_rate,
        warmup_steps=config.warmup_steps,
        decay_steps=config.steps,
        end_value=config.learning_rate * config.final_learning_rate_fraction,
    )
    return optax.chain(
        optax.clip_by_global_norm(config.clip_norm),
        optax.adamw(schedule, weight_decay=config.weight_decay),
    )


def _validate_dataset(model: ScoreNetwork, dataset: ScoreDataset, config: TrainConfig) -> None:
    if dataset.inputs.propulsion.ndim != 3:
        raise ValueError(
            f"dataset propulsion must have shape (samples, n, d), got {dataset.inputs.propulsion.shape}."
        )
    validate_inputs(model.config, dataset.inputs)
    if dataset.n_samples < 1:
        raise ValueError("the dataset is empty; pass at least one sample.")
    if dataset.drift is not None and dataset.drift.value.shape[:2] != dataset.inputs.propulsion.shape[:2]:
        raise ValueError(
            f"drift must start with (samples, n) = {dataset.inputs.propulsion.shape[:2]}, "
            f"got {dataset.drift.value.shape}."
        )


@functools.partial(jax.jit, static_argnames=("graphdef", "config", "loss"))
def _run_chunk(state, step_indices, dataset, rest, diffusion, *, graphdef, config, loss):
    # Module-level and keyed on static configs, so repeated runs of one setup compile once.
    # Each chunk length compiles once: log_every, and a shorter last chunk.
    optimizer = _optimizer(config)
    base_key = jax.random.key(config.seed)
    n_samples = dataset.n_samples
    replace = config.batch_size > n_samples

    def batch_loss(params, batch: ScoreDataset, key):
        net = nnx.merge(graphdef, params, rest)
        keys = jax.random.split(key, config.batch_size)

        def one(inputs, drift, k):
            return score_matching_loss(net, inputs, k, loss, drift, diffusion)

        return jnp.mean(jax.vmap(one)(batch.inputs, batch.drift, keys))

    def step(state, step_index):
        key_batch, key_loss = jax.random.split(jax.random.fold_in(base_key, step_index))
        chosen = jax.random.choice(key_batch, n_samples, (config.batch_size,), replace=replace)
        batch = jax.tree.map(lambda leaf: leaf[chosen], dataset)
        value, grads = jax.value_and_grad(batch_loss)(state["params"], batch, key_loss)
        updates, opt_state = optimizer.update(grads, state["opt_state"], state["params"])
        params = optax.apply_updates(state["params"], updates)
        decay = jnp.minimum(config.ema_decay, (1.0 + step_index) / (10.0 + step_index))
        ema = jax.tree.map(lambda e, p: decay * e + (1.0 - decay) * p, state["ema"], params)
        losses = state["losses"].at[step_index].set(value)
        return {"params": params, "ema": ema, "opt_state": opt_state, "losses": losses}, None

    return jax.lax.scan(step, state, step_indices)[0]


def train_score(
    model: ScoreNetwork,
    dataset: ScoreDataset,
    config: TrainConfig,
    loss: LossConfig,
    *,
    diffusion: Float[Array, " outputs"] | None = None,
    checkpoint_dir: str | Path | None = None,
    callback: Callable[[int, float], None] | None = None,
    description: str = "training score network",
) -> TrainResult:
    """Fit ``model`` to ``dataset`` by score matching, resuming from ``checkpoint_dir`` if it has one.

    Args:
        model: the network to train; it is not modified.
        dataset: training configurations.
        config: optimiser, schedule and seed.
        loss: loss choice and weights.
        diffusion: diagonal of ``D`` per output component, needed by the Fokker-Planck term.
        checkpoint_dir: folder for orbax checkpoints (parameters, EMA, optimiser state, loss
            history). A run with a checkpoint there continues after its latest step.
        callback: called as ``callback(step, mean_loss)`` after each chunk of ``log_every``
            steps, after any checkpoint of that step was written.
        description: label of the progress bar.

    Returns:
        A :class:`TrainResult` with the EMA model, the raw model and the loss history.

    Raises:
        ValueError: for a dataset whose shapes do not match the network or that contains a
            non-finite value.
    """
    _validate_dataset(model, dataset, config)
    checkpointer = Checkpointer(checkpoint_dir) if checkpoint_dir is not None else None
    resuming = checkpointer is not None and checkpointer.latest_step() is not None
    if model.config.linear_skip and config.skip_fit_samples > 0 and not resuming:
        subset = jax.tree.map(lambda leaf: leaf[: config.skip_fit_samples], dataset.inputs)
        model = fit_linear_skip(model, subset, loss, seed=config.seed)
    optimizer = _optimizer(config)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    state = {
        "params": params,
        "ema": jax.tree.map(jnp.copy, params),
        "opt_state": optimizer.init(params),
        "losses": jnp.zeros((config.steps,), jnp.float32),
    }
    diffusion = None if diffusion is None else jnp.asarray(diffusion)

    def run_chunk(state, step_indices):
        return _run_chunk(state, step_indices, dataset, rest, diffusion, graphdef=graphdef, config=config, loss=loss)

    start_step = 0
    try:
        if resuming:
            start_step, state, _ = checkpointer.restore(state)
            state = jax.tree.map(jnp.asarray, state)
        resumed_from = start_step
        with progress_bar(description, total=config.steps) as advance:
            advance(start_step)
            step_index = start_step
            while step_index < config.steps:
                length = min(config.log_every, config.steps - step_index)
                state = run_chunk(state, jnp.arange(step_index, step_index + length))
                step_index += length
                advance(length)
                chunk = np.asarray(state["losses"][step_index - length : step_index])
                if not np.isfinite(chunk).all():
                    first = step_index - length + int(np.argmax(~np.isfinite(chunk)))
                    raise FloatingPointError(
                        f"the training loss became non-finite at step {first}; lower learning_rate or clip_norm."
                    )
                if checkpointer is not None and (
                    step_index % config.checkpoint_every == 0 or step_index == config.steps
                ):
                    checkpointer.save(step_index, state, metadata={"steps": config.steps, "seed": config.seed})
                if callback is not None:
                    callback(step_index, float(chunk.mean()))
    finally:
        if checkpointer is not None:
            checkpointer.close()

    losses = state["losses"]
    return TrainResult(
        model=nnx.merge(graphdef, state["ema"], rest),
        raw_model=nnx.merge(graphdef, state["params"], rest),
        losses=losses,
        resumed_from=resumed_from,
    )
