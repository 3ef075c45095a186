"""Training, evaluation and latency measurement of NNX classifiers on in-memory image arrays.

The model is split once into a graph definition, parameters (``nnx.Param``) and the rest (batch
statistics), and one ``jax.jit``-compiled step updates both with optax, so the Python loop only
feeds batches. Checkpoints hold the pure-dict state through :class:`jaxsim.core.checkpoint.Checkpointer`
(orbax) and a rerun with the same folder resumes from the last saved epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from jaxsim.core.checkpoint import Checkpointer
from jaxsim.core.progress import progress_bar
from jaxsim.core.timing import TimingResult, time_jitted
from jaxsim.vision.data import Split

__all__ = ["TrainResult", "train_classifier", "accuracy", "measure_forward_latency", "make_train_step", "random_shift"]


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train_classifier`.

    Attributes:
        val_accuracy: validation accuracy of the kept (best) epoch.
        best_epoch: that epoch, counted from 1.
        history: validation accuracy after every epoch.
        losses: mean training loss of every epoch.
    """

    val_accuracy: float
    best_epoch: int
    history: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)


def make_train_step(graphdef: nnx.GraphDef, tx: optax.GradientTransformation):
    """Return a jitted ``step(params, rest, opt_state, x, y) -> (params, rest, opt_state, loss)``.

    The loss is the mean softmax cross-entropy of integer labels; ``rest`` carries the batch
    statistics that the training-mode forward pass updates.
    """

    def loss_fn(params, rest, x, y):
        model = nnx.merge(graphdef, params, rest, copy=True)
        logits = model(x)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        _, _, new_rest = nnx.split(model, nnx.Param, ...)
        return loss, new_rest

    @jax.jit
    def step(params, rest, opt_state, x, y):
        (loss, new_rest), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, rest, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_rest, opt_state, loss

    return step


def random_shift(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Move each image of ``x`` (n, h, w, c) by a random offset in ``[-max_shift, max_shift]`` per axis.

    Pixels moved in from outside the image are zero (the background of the digits); the offsets
    are drawn from ``rng``. Returns a new array of the same shape and dtype.
    """
    n, h, w, _ = x.shape
    s = max_shift
    padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)))
    dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
    rows = dy[:, None] + np.arange(h)[None, :]
    cols = dx[:, None] + np.arange(w)[None, :]
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def _eval_forward(model: nnx.Module):
    model.eval()
    graphdef, state = nnx.split(model)
    model.train()

    @jax.jit
    def forward(state, x):
        return nnx.merge(graphdef, state)(x)

    return forward


def accuracy(model: nnx.Module, split: Split, *, batch_size: int = 512) -> float:
    """Return the share of ``split`` that ``model`` classifies correctly (evaluation mode)."""
    forward = _eval_forward(model)
    state = nnx.state(model)
    correct = 0
    for start in range(0, len(split), batch_size):
        logits = forward(state, jnp.asarray(split.x[start : start + batch_size]))
        correct += int(jnp.sum(jnp.argmax(logits, -1) == jnp.asarray(split.y[start : start + batch_size])))
    return correct / len(split)


def train_classifier(
    model: nnx.Module,
    train: Split,
    val: Split,
    *,
    epochs: int,
    batch_size: int = 64,
    learning_rate: float = 3e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    description: str = "training",
    max_shift: int = 0,
) -> TrainResult:
    """Train ``model`` in place with AdamW and a cosine learning-rate decay; keep the best epoch.

    With ``max_shift > 0`` every training image is moved by a random whole-pixel offset in
    ``[-max_shift, max_shift]`` along each axis, with zero fill (see :func:`random_shift`).
    Batches are drawn without replacement from a permutation fixed by ``seed``; the last
    incomplete batch of an epoch is dropped so that every step has the same shape and the step
    compiles once. After training, the parameters of the epoch with the best validation
    accuracy are restored.

    Raises:
        ValueError: if ``epochs < 1``, ``max_shift < 0`` or the training split is smaller than one batch.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}.")
    if max_shift < 0:
        raise ValueError(f"max_shift must be >= 0, got {max_shift}.")
    steps_per_epoch = len(train) // batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"batch_size={batch_size} exceeds the {len(train)} training images; use a smaller batch.")
    schedule = optax.cosine_decay_schedule(learning_rate, epochs * steps_per_epoch)
    tx = optax.adamw(schedule, weight_decay=weight_decay)
    model.train()
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    opt_state = tx.init(params)
    step = make_train_step(graphdef, tx)

    start_epoch, history, losses = 0, [], []
    best = (-1.0, 0, None)
    checkpointer = Checkpointer(checkpoint_dir) if checkpoint_dir is not None else None
    if checkpointer is not None and checkpointer.latest_step() is not None:
        template = {"params": nnx.to_pure_dict(params), "rest": nnx.to_pure_dict(rest), "opt": opt_state}
        start_epoch, restored, meta = checkpointer.restore(template)
        nnx.replace_by_pure_dict(params, restored["params"])
        nnx.replace_by_pure_dict(rest, restored["rest"])
        opt_state = jax.tree.map(jnp.asarray, restored["opt"])
        history, losses = list(meta.get("history", [])), list(meta.get("losses", []))

    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(train)) for _ in range(epochs)]
    x_all, y_all = jnp.asarray(train.x), jnp.asarray(train.y)
    with progress_bar(description, total=epochs - start_epoch) as advance:
        for epoch in range(start_epoch, epochs):
            order = orders[epoch]
            total = 0.0
            for i in range(steps_per_epoch):
                idx = order[i * batch_size : (i + 1) * batch_size]
                x = random_shift(train.x[idx], max_shift, rng) if max_shift else x_all[idx]
                params, rest, opt_state, loss = step(params, rest, opt_state, x, y_all[idx])
                total += float(loss)
            nnx.update(model, params, rest)
            acc = accuracy(model, val)
            history.append(acc)
            losses.append(total / steps_per_epoch)
            if acc > best[0]:
                best = (acc, epoch + 1, jax.tree.map(jnp.copy, (params, rest)))
            if checkpointer is not None:
                state = {"params": nnx.to_pure_dict(params), "rest": nnx.to_pure_dict(rest), "opt": opt_state}
                checkpointer.save(epoch + 1, state, metadata={"history": history, "losses": losses})
            advance()
    if checkpointer is not None:
        checkpointer.close()
    if best[2] is not None:
        nnx.update(model, *best[2])
    else:
        # Resumed after the last epoch: nothing was trained in this call, keep the restored state.
        nnx.update(model, params, rest)
        best = (history[-1] if history else accuracy(model, val), len(history), None)
    return TrainResult(val_accuracy=float(best[0]), best_epoch=int(best[1]), history=history, losses=losses)


def measure_forward_latency(
    model: nnx.Module, input_shape: tuple[int, ...], *, repeats: int = 30, warmup: int = 3, seed: int = 0
) -> TimingResult:
    """Compile the evaluation-mode forward pass at ``input_shape`` and time it with the core helper.

    Returns the :class:`~jaxsim.core.timing.TimingResult` in seconds (median and interquartile
    range over ``repeats`` calls).
    """
    model.eval()
    graphdef, state = nnx.split(model)
    model.train()

    def forward(state, x):
        return nnx.merge(graphdef, state)(x)

    x = jax.random.normal(jax.random.key(seed), input_shape, jnp.float32)
    return time_jitted(forward, state, x, warmup=warmup, repeats=repeats)
