"""Learn the score of a small active lattice and compare its entropy production with the exact value.

Run: PYTHONPATH=. python examples/active_epr.py   (about 40 s on a shared 2-core CPU)

The tethered lattice is linear, so its stationary density is Gaussian and its exact entropy
production rate (EPR) follows from the Lyapunov equation. The script prints the EPR of three
scores: zero (s = 0, far too high), the network after the closed-form fit of its linear skip
path, and the network after 300 steps of score matching. The full study
``jaxsim run active-epr`` does the same on 64 particles.
"""

import jax
import jax.numpy as jnp
from flax import nnx

from jaxsim.active import PeriodicBox
from jaxsim.active.learning import (
    LossConfig,
    ScoreDataset,
    ScoreNetConfig,
    ScoreNetwork,
    TrainConfig,
    fit_linear_skip,
    tethered_lattice,
    train_score,
)
from jaxsim.active.learning.evaluate import estimate_entropy_production
from jaxsim.active.learning.neighborhoods import score_inputs

# 16 AOUPs tethered to a 4 x 4 periodic lattice (spacing 6) and joined to lattice neighbours by springs.
lattice = tethered_lattice(4, spacing=6.0, v0=1.0, gamma=1.0, eps=0.5, stiffness=1.0, spring=0.5)
box = PeriodicBox(side=lattice.box_size)
k = 8


def samples(key, n_samples):
    positions, g, u = lattice.sample(key, n_samples)  # exact stationary samples
    inputs = score_inputs(positions, g, box, k, anchor_displacement=u)  # cell-list k-nearest neighbours
    bx, bg = lattice.drift(u, g)
    return inputs, jnp.concatenate([bg, bx], axis=-1)  # drift in the network's order (g, x)


config = ScoreNetConfig(
    dim=2, n_neighbors=k, width=8, n_blocks=1, n_heads=2,
    score_positions=True, anchored=True, length_scale=2.0, cutoff=9.6,
)
loss = LossConfig(kind="implicit", weight_g=lattice.gamma, weight_x=lattice.eps)
train_inputs, _ = samples(jax.random.key(0), 1024)
eval_inputs, drift = samples(jax.random.key(1), 256)


def report(label, model):
    estimate = estimate_entropy_production(model, eval_inputs, drift, gamma=lattice.gamma, eps=lattice.eps)
    print(f"{label:<28} EPR {float(estimate.total.total):7.3f} +/- {float(estimate.total.standard_error):.3f}"
          f"   g-part agreement {float(estimate.agreement):.3f}")


print(f"{'exact':<28} EPR {float(lattice.entropy_production()):7.3f}")
untrained = ScoreNetwork(config, rngs=nnx.Rngs(0))  # zero read-out: s = 0
report("zero score", untrained)
report("closed-form skip fit", fit_linear_skip(untrained, train_inputs, loss))
result = train_score(  # fits the skip path again, then trains all weights
    untrained,
    ScoreDataset(train_inputs),
    TrainConfig(steps=300, batch_size=4, learning_rate=3e-3, warmup_steps=20, log_every=50, checkpoint_every=300),
    loss,
)
report("after 300 training steps", result.model)
