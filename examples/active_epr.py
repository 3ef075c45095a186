"""Learn the score of a small active lattice and compare its entropy production with the exact value.

Run: PYTHONPATH=. python examples/active_epr.py   (37 s on a shared 2-core CPU)

The tethered lattice is linear, so its stationary density is Gaussian and its exact entropy
production rate (EPR) follows from the Lyapunov equation. This short run with a small network
is far from converged: it printed a learned EPR of 38.7 against the exact 17.2, and the two
g-part estimators disagree by 59 percent, which is how the check flags an unconverged score.
The study ``jaxsim run active-epr`` trains a larger network longer on 64 particles and gets
within 6 percent.
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
train_inputs, _ = samples(jax.random.key(0), 512)
result = train_score(
    ScoreNetwork(config, rngs=nnx.Rngs(0)),
    ScoreDataset(train_inputs),
    TrainConfig(steps=1000, batch_size=4, learning_rate=3e-3, warmup_steps=50, log_every=50, checkpoint_every=1000),
    LossConfig(kind="implicit", weight_g=lattice.gamma, weight_x=lattice.eps),
)

eval_inputs, drift = samples(jax.random.key(1), 128)
estimate = estimate_entropy_production(result.model, eval_inputs, drift, gamma=lattice.gamma, eps=lattice.eps)
print(f"exact EPR   {float(lattice.entropy_production()):.3f}")
print(f"learned EPR {float(estimate.total.total):.3f} +/- {float(estimate.total.standard_error):.3f}")
print(f"g-part: {float(estimate.propulsion.total):.3f} (velocity) vs "
      f"{float(estimate.propulsion_divergence.total):.3f} (divergence), agreement {float(estimate.agreement):.3f}")
