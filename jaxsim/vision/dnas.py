"""Differentiable neural architecture search (DNAS) over a layer-wise search space.

Follows Wu et al. (2019), "FBNet: Hardware-Aware Efficient ConvNet Design via Differentiable
Neural Architecture Search", arXiv:1812.03443, section 3:

- a supernet whose layer ``l`` outputs ``sum_i m_li * b_li(x)`` over its candidate blocks
  ``b_li``, with mixing weights from the Gumbel-softmax (Jang, Gu, Poole 2017, arXiv:1611.01144;
  Maddison, Mnih, Teh 2017, arXiv:1611.00712)
  ``m_l = softmax((theta_l + g_l) / tau)``, ``g ~ Gumbel(0, 1)``, temperature ``tau`` annealed;
- the loss ``L = CE * alpha * log(LAT)^beta`` with ``LAT = sum_l sum_i m_li LAT_li`` (plus the
  fixed part) in microseconds from a :class:`~jaxsim.vision.latency.LatencyTable`;
- weights ``w`` and architecture parameters ``theta`` trained alternately, epoch by epoch, on
  two disjoint parts of the training data (80 % for ``w``, 20 % for ``theta``).

All inverted-residual candidates of a layer are stored stacked along a leading candidate axis,
padded to the largest kernel and expansion and masked back to each candidate's shape, and are
computed by one ``jax.vmap`` over that axis: no Python loop over candidates at run time. A
grouped 1x1 convolution is a block-diagonal mask on a dense weight and its channel shuffle a
fixed permutation of the hidden channels; both give the same function as the grouped block.
Batch norm inside the supernet always uses batch statistics, because the supernet is only ever
trained, never evaluated on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx
from jaxtyping import Array, Float, Int

from jaxsim.core.checkpoint import Checkpointer
from jaxsim.core.progress import progress_bar
from jaxsim.vision.data import Split
from jaxsim.vision.latency import LatencyTable
from jaxsim.vision.search_space import SearchSpace

__all__ = [
    "ArchParam",
    "MixedLayer",
    "Supernet",
    "DNASConfig",
    "SearchResult",
    "gumbel_softmax",
    "latency_loss",
    "run_search",
    "temperature_schedule",
]


class ArchParam(nnx.Variable):
    """Architecture parameters ``theta``, a separate variable type so that the weight optimizer never updates them."""


def gumbel_softmax(key: Array, logits: Float[Array, "... n"], temperature: float | Array) -> Float[Array, "... n"]:
    """Draw relaxed one-hot weights ``softmax((logits + g) / tau)`` with ``g ~ Gumbel(0, 1)``."""
    gumbel = jax.random.gumbel(key, logits.shape, logits.dtype)
    return jax.nn.softmax((logits + gumbel) / temperature, axis=-1)


def latency_loss(
    cross_entropy: Float[Array, ""], latency_us: Float[Array, ""], *, alpha: float = 0.2, beta: float = 0.6
) -> Float[Array, ""]:
    """Return ``CE * alpha * log(LAT)^beta`` (Wu et al. 2019, eq. 2) with ``LAT`` in microseconds.

    ``log(LAT)`` must be positive, so ``LAT`` must exceed 1 microsecond; smaller values raise
    when concrete and give NaN under tracing.
    """
    try:
        concrete = float(latency_us)
    except (TypeError, jax.errors.ConcretizationTypeError):
        concrete = None
    if concrete is not None and concrete <= 1.0:
        raise ValueError(f"latency must exceed 1 microsecond for log(LAT)^beta, got {concrete}; express LAT in microseconds.")
    return cross_entropy * alpha * jnp.log(latency_us) ** beta


def temperature_schedule(epoch: int, epochs: int, start: float, end: float) -> float:
    """Anneal the Gumbel-softmax temperature geometrically from ``start`` (epoch 0) to ``end`` (last epoch)."""
    if epochs <= 1:
        return float(end)
    return float(start * (end / start) ** (epoch / (epochs - 1)))


def _batch_norm(x: Array, scale: Array, bias: Array, eps: float = 1e-5) -> Array:
    mean = jnp.mean(x, axis=(0, 1, 2))
    var = jnp.var(x, axis=(0, 1, 2))
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + bias


def _conv1x1(x: Array, w: Array, stride: int = 1) -> Array:
    if stride > 1:
        x = x[:, ::stride, ::stride, :]
    return jnp.einsum("bhwi,io->bhwo", x, w)


def _depthwise(x: Array, kernel: Array, stride: int) -> Array:
    # kernel (k, k, c), "same" padding ((k - 1) // 2, k // 2), as jaxsim.vision.layers.Conv.
    k = kernel.shape[0]
    pad = ((k - 1) // 2, k // 2)
    padded = jnp.pad(x, ((0, 0), pad, pad, (0, 0)))
    out_h = -(-x.shape[1] // stride)
    out_w = -(-x.shape[2] // stride)
    out = 0.0
    for i in range(k):
        for j in range(k):
            tap = padded[:, i : i + (out_h - 1) * stride + 1 : stride, j : j + (out_w - 1) * stride + 1 : stride, :]
            out = out + tap * kernel[i, j]
    return out


class MixedLayer(nnx.Module):
    """One searched layer: all candidates of ``space`` for ``(in, out, stride)``, stacked and vmapped.

    Args:
        candidates: candidate names; inverted residuals ``ir_k*_e*[_g*]`` and ``skip``.
        in_channels, out_channels, stride: the layer's shape.
    """

    def __init__(self, candidates, specs, in_channels: int, out_channels: int, stride: int, *, rngs: nnx.Rngs):
        ir = [(i, s) for i, s in enumerate(specs) if s.kind == "ir"]
        self.ir_index = np.array([i for i, _ in ir], dtype=np.int32)
        self.skip_index = next((i for i, s in enumerate(specs) if s.kind == "skip"), -1)
        self.stride, self.residual = stride, stride == 1 and in_channels == out_channels
        self.n_candidates = len(specs)
        n = len(ir)
        kmax = max(s.kernel for _, s in ir)
        hmax = in_channels * max(s.expansion for _, s in ir)
        self.kmax = kmax
        init = nnx.initializers.lecun_normal()
        keys = jax.random.split(rngs.params(), 4)
        self.w_expand = nnx.Param(init(keys[0], (n, in_channels, hmax)))
        self.w_depthwise = nnx.Param(jax.random.normal(keys[1], (n, kmax, kmax, hmax)) / kmax)
        self.w_project = nnx.Param(init(keys[2], (n, hmax, out_channels)))
        self.bn_scale = nnx.Param(jnp.ones((n, 2 * hmax + out_channels)))
        self.bn_bias = nnx.Param(jnp.zeros((n, 2 * hmax + out_channels)))
        hidden_mask = np.zeros((n, hmax), np.float32)
        kernel_mask = np.zeros((n, kmax, kmax, 1), np.float32)
        expand_mask = np.zeros((n, in_channels, hmax), np.float32)
        project_mask = np.zeros((n, hmax, out_channels), np.float32)
        perm = np.tile(np.arange(hmax), (n, 1))
        for row, (_, spec) in enumerate(ir):
            hidden, g = in_channels * spec.expansion, spec.groups
            hidden_mask[row, :hidden] = 1
            lo = (kmax - spec.kernel) // 2
            kernel_mask[row, lo : lo + spec.kernel, lo : lo + spec.kernel] = 1
            for j in range(g):
                ci, hi, co = in_channels // g, hidden // g, out_channels // g
                expand_mask[row, j * ci : (j + 1) * ci, j * hi : (j + 1) * hi] = 1
                project_mask[row, j * hi : (j + 1) * hi, j * co : (j + 1) * co] = 1
            if g > 1:
                # channel_shuffle: output position i * g + j takes hidden channel j * (h / g) + i.
                order = np.arange(hidden).reshape(g, hidden // g).T.ravel()
                perm[row, :hidden] = order
        self.hidden_mask = jnp.asarray(hidden_mask)
        self.kernel_mask = jnp.asarray(kernel_mask)
        self.expand_mask = jnp.asarray(expand_mask)
        self.project_mask = jnp.asarray(project_mask)
        self.perm = jnp.asarray(perm)
        self.hmax = hmax
        needs_projection = stride != 1 or in_channels != out_channels
        self.w_skip = nnx.Param(init(keys[3], (in_channels, out_channels))) if (needs_projection and self.skip_index >= 0) else None
        self.skip_bn = nnx.Param(jnp.stack([jnp.ones(out_channels), jnp.zeros(out_channels)])) if self.w_skip is not None else None

    def candidate_outputs(self, x: Float[Array, "b h w ci"]) -> Float[Array, "n b h2 w2 co"]:
        """Return the output of every inverted-residual candidate, stacked (one vmapped program)."""
        hmax = self.hmax

        def one(w_e, w_d, w_p, scale, bias, h_mask, k_mask, e_mask, p_mask, perm):
            y = _conv1x1(x, w_e * e_mask)
            y = jax.nn.relu(_batch_norm(y, scale[:hmax], bias[:hmax])) * h_mask
            y = y[..., perm]
            y = _depthwise(y, w_d * k_mask, self.stride)
            y = jax.nn.relu(_batch_norm(y, scale[hmax : 2 * hmax], bias[hmax : 2 * hmax])) * h_mask
            y = _batch_norm(_conv1x1(y, w_p * p_mask), scale[2 * hmax :], bias[2 * hmax :])
            return y + x if self.residual else y

        return jax.vmap(one)(
            self.w_expand[...],
            self.w_depthwise[...],
            self.w_project[...],
            self.bn_scale[...],
            self.bn_bias[...],
            self.hidden_mask,
            self.kernel_mask,
            self.expand_mask,
            self.project_mask,
            self.perm,
        )

    def __call__(self, x: Float[Array, "b h w ci"], weights: Float[Array, " n"]) -> Float[Array, "b h2 w2 co"]:
        stacked = self.candidate_outputs(x)
        out = jnp.tensordot(weights[self.ir_index], stacked, axes=1)
        if self.skip_index >= 0:
            if self.w_skip is None:
                skip = x
            else:
                bn = self.skip_bn[...]
                skip = jax.nn.relu(_batch_norm(_conv1x1(x, self.w_skip[...], self.stride), bn[0], bn[1]))
            out = out + weights[self.skip_index] * skip
        return out


class Supernet(nnx.Module):
    """All architectures of a :class:`SearchSpace` in one network, mixed by per-layer weights."""

    def __init__(self, space: SearchSpace, *, rngs: nnx.Rngs):
        init = nnx.initializers.lecun_normal()
        self.stem = nnx.Param(init(rngs.params(), (3, 3, space.in_channels, space.stem_channels)))
        self.stem_bn = nnx.Param(jnp.stack([jnp.ones(space.stem_channels), jnp.zeros(space.stem_channels)]))
        self.stem_stride = space.stem_stride
        self.layers = nnx.List(
            [MixedLayer(space.candidates, space.specs, cin, cout, stride, rngs=rngs) for cin, cout, stride, _ in space.layer_shapes()]
        )
        width = space.channels[-1]
        self.head = nnx.Param(init(rngs.params(), (width, space.head_channels))) if space.head_channels else None
        self.head_bn = nnx.Param(jnp.stack([jnp.ones(space.head_channels), jnp.zeros(space.head_channels)])) if space.head_channels else None
        self.classifier = nnx.Linear(space.head_channels or width, space.num_classes, rngs=rngs)
        self.theta = ArchParam(jnp.zeros((space.n_layers, space.n_candidates)))

    def __call__(self, x: Float[Array, "b h w c"], weights: Float[Array, "layers n"]) -> Float[Array, "b classes"]:
        y = jax.lax.conv_general_dilated(
            x, self.stem[...], (self.stem_stride,) * 2, [(1, 1), (1, 1)], dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        bn = self.stem_bn[...]
        y = jax.nn.relu(_batch_norm(y, bn[0], bn[1]))
        for i, layer in enumerate(self.layers):
            y = layer(y, weights[i])
        if self.head is not None:
            bn = self.head_bn[...]
            y = jax.nn.relu(_batch_norm(_conv1x1(y, self.head[...]), bn[0], bn[1]))
        return self.classifier(jnp.mean(y, axis=(1, 2)))


@dataclass(frozen=True)
class DNASConfig:
    """Settings of :func:`run_search` (defaults follow Wu et al. 2019 where they apply).

    Attributes:
        epochs: alternating epochs (one weight epoch then one architecture epoch each).
        warmup_epochs: weight-only epochs with uniform mixing weights before the alternation.
        batch_size: images per step.
        weight_lr, arch_lr: learning rates of the weights (AdamW) and of ``theta`` (Adam).
        tau_start, tau_end: Gumbel-softmax temperature at the first and last epoch.
        alpha, beta: latency loss ``CE * alpha * log(LAT)^beta``.
        arch_fraction: share of the training split used for the architecture steps.
        arch_passes: passes over the architecture part in every searching epoch. On a small
            data set one pass gives so few architecture steps that ``theta`` barely moves.
    """

    epochs: int = 12
    warmup_epochs: int = 4
    batch_size: int = 64
    weight_lr: float = 3e-3
    arch_lr: float = 1e-2
    tau_start: float = 5.0
    tau_end: float = 0.5
    alpha: float = 0.2
    beta: float = 0.6
    arch_fraction: float = 0.2
    arch_passes: int = 1


@dataclass
class SearchResult:
    """Outcome of :func:`run_search`.

    Attributes:
        theta: (layers, candidates) learned architecture logits.
        probabilities: ``softmax(theta)`` per layer.
        expected_latency_us: expected latency under ``probabilities`` after every epoch.
        arch_losses: mean architecture-step loss of every epoch.
        argmax_arch: the candidate of maximum probability in every layer.
    """

    theta: np.ndarray
    probabilities: np.ndarray
    expected_latency_us: list[float] = field(default_factory=list)
    arch_losses: list[float] = field(default_factory=list)
    argmax_arch: tuple[str, ...] = ()


def _steps(space: SearchSpace, table: LatencyTable, graphdef, config: DNASConfig, w_tx, a_tx):
    def loss_fn(w, theta, rest, key, tau, x, y, uniform):
        model = nnx.merge(graphdef, w, theta, rest, copy=True)
        logits_theta = model.theta[...]
        mixing = jnp.where(uniform, jnp.full_like(logits_theta, 1.0 / space.n_candidates), gumbel_softmax(key, logits_theta, tau))
        logits = model(x, mixing)
        ce = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        return latency_loss(ce, table.expected_us(mixing), alpha=config.alpha, beta=config.beta)

    @jax.jit
    def weight_step(w, theta, rest, opt, key, tau, x, y, uniform):
        loss, grads = jax.value_and_grad(loss_fn)(w, theta, rest, key, tau, x, y, uniform)
        updates, opt = w_tx.update(grads, opt, w)
        return optax.apply_updates(w, updates), opt, loss

    @jax.jit
    def arch_step(w, theta, rest, opt, key, tau, x, y):
        loss, grads = jax.value_and_grad(loss_fn, argnums=1)(w, theta, rest, key, tau, x, y, False)
        updates, opt = a_tx.update(grads, opt, theta)
        return optax.apply_updates(theta, updates), opt, loss

    return weight_step, arch_step


def run_search(
    space: SearchSpace,
    train: Split,
    table: LatencyTable,
    *,
    config: DNASConfig = DNASConfig(),
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
) -> SearchResult:
    """Search ``space`` on ``train`` with the latency ``table``; return the learned distribution.

    ``train`` is split once (fixed by ``seed``) into a weight part and a disjoint architecture
    part of share ``config.arch_fraction``. With ``checkpoint_dir``, the supernet state is
    saved after every epoch with orbax and a rerun resumes after the last saved epoch.

    Raises:
        ValueError: if the table does not match the space, a split is smaller than a batch, or
            ``config.arch_passes < 1``.
    """
    if config.arch_passes < 1:
        raise ValueError(f"arch_passes must be >= 1, got {config.arch_passes}.")
    if table.layer_us.shape != (space.n_layers, space.n_candidates) or tuple(table.candidates) != space.candidates:
        raise ValueError(
            f"latency table of shape {table.layer_us.shape} for {table.candidates} does not match the space "
            f"({space.n_layers} layers, candidates {space.candidates}); measure a table for this space."
        )
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    n_arch = int(round(config.arch_fraction * len(train)))
    arch_idx, weight_idx = order[:n_arch], order[n_arch:]
    if min(len(arch_idx), len(weight_idx)) < config.batch_size:
        raise ValueError(
            f"the weight ({len(weight_idx)}) and architecture ({len(arch_idx)}) splits must each hold a batch of {config.batch_size}."
        )
    x_all, y_all = jnp.asarray(train.x), jnp.asarray(train.y)

    model = Supernet(space, rngs=nnx.Rngs(seed))
    graphdef, w, theta, rest = nnx.split(model, nnx.Param, ArchParam, ...)
    total_epochs = config.warmup_epochs + config.epochs
    w_steps = total_epochs * (len(weight_idx) // config.batch_size)
    w_tx = optax.adamw(optax.cosine_decay_schedule(config.weight_lr, w_steps), weight_decay=1e-4)
    a_tx = optax.adam(config.arch_lr)
    w_opt, a_opt = w_tx.init(w), a_tx.init(theta)
    weight_step, arch_step = _steps(space, table, graphdef, config, w_tx, a_tx)

    result = SearchResult(np.zeros(0), np.zeros(0))
    start = 0
    checkpointer = Checkpointer(checkpoint_dir) if checkpoint_dir is not None else None
    if checkpointer is not None and checkpointer.latest_step() is not None:
        template = {"w": nnx.to_pure_dict(w), "theta": nnx.to_pure_dict(theta), "w_opt": w_opt, "a_opt": a_opt}
        start, restored, meta = checkpointer.restore(template)
        nnx.replace_by_pure_dict(w, restored["w"])
        nnx.replace_by_pure_dict(theta, restored["theta"])
        w_opt = jax.tree.map(jnp.asarray, restored["w_opt"])
        a_opt = jax.tree.map(jnp.asarray, restored["a_opt"])
        result.expected_latency_us = list(meta.get("expected_latency_us", []))
        result.arch_losses = list(meta.get("arch_losses", []))

    key = jax.random.key(seed)
    with progress_bar("DNAS search", total=total_epochs - start) as advance:
        for epoch in range(start, total_epochs):
            searching = epoch >= config.warmup_epochs
            tau = temperature_schedule(epoch - config.warmup_epochs, config.epochs, config.tau_start, config.tau_end) if searching else config.tau_start
            perm = rng.permutation(weight_idx)
            for i in range(len(weight_idx) // config.batch_size):
                idx = perm[i * config.batch_size : (i + 1) * config.batch_size]
                key, sub = jax.random.split(key)
                w, w_opt, _ = weight_step(w, theta, rest, w_opt, sub, tau, x_all[idx], y_all[idx], not searching)
            losses = []
            if searching:
                n_batches = len(arch_idx) // config.batch_size
                perm = np.concatenate([rng.permutation(arch_idx)[: n_batches * config.batch_size] for _ in range(config.arch_passes)])
                for i in range(n_batches * config.arch_passes):
                    idx = perm[i * config.batch_size : (i + 1) * config.batch_size]
                    key, sub = jax.random.split(key)
                    theta, a_opt, loss = arch_step(w, theta, rest, a_opt, sub, tau, x_all[idx], y_all[idx])
                    losses.append(float(loss))
            probs = jax.nn.softmax(jax.tree.leaves(theta)[0], axis=-1)
            result.expected_latency_us.append(float(table.expected_us(probs)))
            result.arch_losses.append(float(np.mean(losses)) if losses else float("nan"))
            if checkpointer is not None:
                state = {"w": nnx.to_pure_dict(w), "theta": nnx.to_pure_dict(theta), "w_opt": w_opt, "a_opt": a_opt}
                meta = {"expected_latency_us": result.expected_latency_us, "arch_losses": result.arch_losses}
                checkpointer.save(epoch + 1, state, metadata=meta)
            advance()
    if checkpointer is not None:
        checkpointer.close()
    logits = np.asarray(jax.tree.leaves(theta)[0])
    result.theta = logits
    result.probabilities = np.asarray(jax.nn.softmax(jnp.asarray(logits), axis=-1))
    result.argmax_arch = tuple(space.candidates[int(i)] for i in logits.argmax(-1))
    return result
