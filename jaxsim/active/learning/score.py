"""Tokens, scores and exact per-particle divergences of a :class:`ScoreNetwork`.

A configuration enters as :class:`ScoreInputs`: the self-propulsion ``g`` of every
particle, the indices and minimum-image displacements of its ``k`` nearest neighbours (from
the neighbour search of :mod:`jaxsim.active.neighbors`), and optionally the displacement
``u`` of every particle from its anchor. The score of particle ``i`` depends on ``x_i``
through the displacements ``r_ij = x_j - x_i`` and ``u_i``, and on ``g_i`` through its own
token, so the diagonal block ``d s_i / d z_i`` of the Jacobian (``z_i = (g_i, x_i)``) is the
Jacobian of a function of ``2 d`` numbers. Its trace summed over particles is the exact
divergence of the learned score field (where the neighbour sets are locally constant,
which is almost everywhere).
"""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from flax import nnx
from jaxtyping import Array, Float, Int, PRNGKeyArray

from jaxsim.active.learning.network import ScoreNetConfig, ScoreNetwork

__all__ = [
    "ScoreInputs",
    "build_tokens",
    "particle_scores",
    "particle_scores_and_jacobian_diagonal",
    "particle_scores_and_hutchinson",
    "score_function",
    "split_score",
    "validate_inputs",
]


class ScoreInputs(eqx.Module):
    """What the score network reads from one configuration (or a batch, with leading axes).

    Attributes:
        propulsion: self-propulsion ``g``, shape ``(n, d)``.
        neighbor_indices: indices of the ``k`` nearest neighbours, shape ``(n, k)``.
        neighbor_displacements: minimum-image ``x_j - x_i``, shape ``(n, k, d)``.
        anchor_displacement: displacement ``u`` from each particle's anchor (trap centre or
            tether site), shape ``(n, d)``; None for translation-invariant systems.
    """

    propulsion: Float[Array, "*batch n d"]
    neighbor_indices: Int[Array, "*batch n k"]
    neighbor_displacements: Float[Array, "*batch n k d"]
    anchor_displacement: Float[Array, "*batch n d"] | None = None

    @property
    def n_particles(self) -> int:
        return self.propulsion.shape[-2]


def validate_inputs(config: ScoreNetConfig, inputs: ScoreInputs) -> None:
    """Raise ValueError unless ``inputs`` has the shapes ``config`` expects and finite values.

    The finiteness check runs only on concrete arrays (outside ``jit``).
    """
    g, idx, disp = inputs.propulsion, inputs.neighbor_indices, inputs.neighbor_displacements
    n, d = g.shape[-2:]
    k = config.n_neighbors
    if d != config.dim:
        raise ValueError(f"propulsion has {d} components per particle but the network has dim={config.dim}.")
    if idx.shape[-2:] != (n, k):
        raise ValueError(
            f"neighbor_indices must have trailing shape (n, k) = ({n}, {k}), got {idx.shape}; "
            "search with the network's n_neighbors."
        )
    if disp.shape[-3:] != (n, k, d):
        raise ValueError(f"neighbor_displacements must have trailing shape ({n}, {k}, {d}), got {disp.shape}.")
    if k > n - 1:
        raise ValueError(f"n_neighbors k={k} is larger than N - 1 = {n - 1}; use k <= N - 1.")
    if config.anchored != (inputs.anchor_displacement is not None):
        raise ValueError(
            f"the network has anchored={config.anchored} but anchor_displacement is "
            f"{'missing' if config.anchored else 'given'}; match the network to the system."
        )
    if inputs.anchor_displacement is not None and inputs.anchor_displacement.shape != g.shape:
        raise ValueError(
            f"anchor_displacement must have the shape of propulsion {g.shape}, got {inputs.anchor_displacement.shape}."
        )
    for name, leaf in (("propulsion", g), ("neighbor_displacements", disp), ("anchor_displacement", inputs.anchor_displacement)):
        if leaf is None or isinstance(leaf, jax.core.Tracer):
            continue
        bad = ~jnp.isfinite(leaf)
        if bool(bad.any()):
            first = tuple(int(i) for i in jnp.argwhere(bad)[0])
            raise ValueError(f"{name} has a non-finite value at index {first}; drop or fix that sample.")


def build_tokens(
    config: ScoreNetConfig,
    displacements: Float[Array, "k d"],
    own_propulsion: Float[Array, " d"],
    neighbor_propulsion: Float[Array, "k d"],
    own_anchor: Float[Array, " d"] | None = None,
    neighbor_anchor: Float[Array, "k d"] | None = None,
) -> Float[Array, "tokens features"]:
    """Build the ``k + 1`` tokens of one particle; token 0 is the particle itself.

    Features per token: ``r / l`` (d), ``|r| / l``, ``g`` (d), ``u / l`` (d, if anchored) and
    a flag that is 1 on the own token, with ``l = config.length_scale``.
    """
    scale = config.length_scale
    k = displacements.shape[0]
    r = displacements / scale
    # |r| with a zero-safe gradient: the own token has r = 0 and its norm is fixed at 0.
    length = jnp.sqrt(jnp.sum(r**2, axis=-1, keepdims=True) + 1e-12)
    zeros_d = jnp.zeros((1, config.dim), r.dtype)
    parts_own = [zeros_d, jnp.zeros((1, 1), r.dtype), own_propulsion[None, :]]
    parts_nbr = [r, length, neighbor_propulsion]
    if config.anchored:
        parts_own.append(own_anchor[None, :] / scale)
        parts_nbr.append(neighbor_anchor / scale)
    parts_own.append(jnp.ones((1, 1), r.dtype))
    parts_nbr.append(jnp.zeros((k, 1), r.dtype))
    return jnp.concatenate([jnp.concatenate(parts_own, -1), jnp.concatenate(parts_nbr, -1)], axis=0)


def _per_particle_args(inputs: ScoreInputs):
    # Gather neighbour states so that every argument has a leading particle axis.
    g = inputs.propulsion
    idx = inputs.neighbor_indices
    u = inputs.anchor_displacement
    args = {"disp": inputs.neighbor_displacements, "g": g, "g_nbr": g[idx]}
    if u is not None:
        args["u"] = u
        args["u_nbr"] = u[idx]
    return args


def _particle_fn(model: ScoreNetwork) -> Callable:
    # Score of one particle as a function of a shift (dg, dx) of its own state.
    config = model.config
    d = config.dim

    def fn(shift: Array, args: dict) -> Array:
        dg = shift[:d]
        dx = shift[d:] if config.score_positions else jnp.zeros((d,), shift.dtype)
        tokens = build_tokens(
            config,
            args["disp"] - dx,
            args["g"] + dg,
            args["g_nbr"],
            args["u"] + dx if config.anchored else None,
            args.get("u_nbr"),
        )
        return model(tokens)

    return fn


def _map_particles(fn: Callable, args: dict, chunk_size: int | None):
    if chunk_size is None:
        return jax.vmap(fn)(args)
    return jax.lax.map(fn, args, batch_size=chunk_size)


def particle_scores(
    model: ScoreNetwork, inputs: ScoreInputs, *, chunk_size: int | None = None
) -> Float[Array, "n outputs"]:
    """Evaluate the learned score of every particle of one configuration.

    Args:
        model: the score network.
        inputs: one configuration (no batch axis).
        chunk_size: evaluate this many particles at a time (``lax.map``) to bound memory;
            None evaluates all at once.

    Returns:
        Shape ``(n, n_outputs)``: the ``g`` components, then the ``x`` components if
        ``score_positions``. Use :func:`split_score` to separate them.
    """
    fn = _particle_fn(model)
    zero = jnp.zeros((model.config.n_outputs,), inputs.propulsion.dtype)
    return _map_particles(lambda a: fn(zero, a), _per_particle_args(inputs), chunk_size)


def particle_scores_and_jacobian_diagonal(
    model: ScoreNetwork, inputs: ScoreInputs, *, chunk_size: int | None = None
) -> tuple[Float[Array, "n outputs"], Float[Array, "n outputs"]]:
    """Evaluate scores and the diagonal of each particle's own Jacobian block, exactly.

    The block ``d s_i / d z_i`` (``n_outputs x n_outputs``, ``z_i = (g_i, x_i)``) comes from
    forward-mode differentiation with ``n_outputs`` tangents per particle. Its diagonal
    ``d s_{i,a} / d z_{i,a}`` summed over ``a`` and ``i`` is the divergence of the score.
    """
    fn = _particle_fn(model)
    zero = jnp.zeros((model.config.n_outputs,), inputs.propulsion.dtype)

    def one(args):
        def with_value(shift):
            out = fn(shift, args)
            return out, out

        jacobian, scores = jax.jacfwd(with_value, has_aux=True)(zero)
        return scores, jnp.diagonal(jacobian)

    return _map_particles(one, _per_particle_args(inputs), chunk_size)


def particle_scores_and_hutchinson(
    model: ScoreNetwork, inputs: ScoreInputs, key: PRNGKeyArray, *, chunk_size: int | None = None
) -> tuple[Float[Array, "n outputs"], Float[Array, "n outputs"]]:
    """Evaluate scores and a Hutchinson estimate of each particle's Jacobian diagonal.

    With a Rademacher vector ``e`` per particle, ``e_a (J e)_a`` is an unbiased estimate of
    ``J_aa`` (M. F. Hutchinson, "A stochastic estimator of the trace of the influence matrix
    for Laplacian smoothing splines", 1989). One ``jvp`` per particle replaces
    ``n_outputs`` of them.
    """
    fn = _particle_fn(model)
    n = inputs.n_particles
    probes = jax.random.rademacher(key, (n, model.config.n_outputs), inputs.propulsion.dtype)
    zero = jnp.zeros((model.config.n_outputs,), inputs.propulsion.dtype)

    def one(payload):
        args, probe = payload
        scores, tangent = jax.jvp(lambda s: fn(s, args), (zero,), (probe,))
        return scores, probe * tangent

    return _map_particles(one, (_per_particle_args(inputs), probes), chunk_size)


def split_score(config: ScoreNetConfig, scores: Float[Array, "*batch n outputs"]):
    """Split network outputs into ``(s_g, s_x)``; ``s_x`` is None without position scores."""
    d = config.dim
    s_g = scores[..., :d]
    s_x = scores[..., d:] if config.score_positions else None
    return s_g, s_x


def score_function(model: ScoreNetwork, *, chunk_size: int | None = None) -> Callable[[ScoreInputs], Array]:
    """Return a jitted ``inputs -> scores`` for one configuration, with the weights split once.

    The returned function validates shapes and finiteness before it runs; a new N or k
    compiles once per shape.
    """
    graphdef, state = nnx.split(model)
    config = model.config

    @jax.jit
    def run(state, inputs):
        return particle_scores(nnx.merge(graphdef, state), inputs, chunk_size=chunk_size)

    def evaluate(inputs: ScoreInputs) -> Array:
        validate_inputs(config, inputs)
        return run(state, inputs)

    return evaluate
