"""Scores over a batch of samples do not depend on the number of devices."""

from __future__ import annotations

import numpy as np
from helpers import run_on_host_devices

_CODE = """
import json
import jax
from flax import nnx
from jaxsim.active import PeriodicBox
from jaxsim.active.learning import ScoreNetConfig, ScoreNetwork, tethered_lattice
from jaxsim.active.learning.evaluate import sample_scores
from jaxsim.active.learning.neighborhoods import score_inputs

lattice = tethered_lattice(3, spacing=6.0)
positions, g, u = lattice.sample(jax.random.key(0), 5)
inputs = score_inputs(positions, g, PeriodicBox(side=lattice.box_size), 4, anchor_displacement=u)
config = ScoreNetConfig(n_neighbors=4, width=8, n_blocks=1, n_heads=2, score_positions=True,
                        anchored=True, length_scale=2.0, cutoff=9.6)
model = ScoreNetwork(config, rngs=nnx.Rngs(0))
model.decode.kernel[...] = jax.random.normal(jax.random.key(5), model.decode.kernel.shape)
scores, diagonal = sample_scores(model, inputs)
print(json.dumps({"devices": jax.device_count(), "scores": scores.tolist(), "diagonal": diagonal.tolist()}))
"""


def test_sample_scores_same_on_1_and_4_devices():
    one = run_on_host_devices(_CODE, 1)
    four = run_on_host_devices(_CODE, 4)
    assert one["devices"] == 1
    assert four["devices"] == 4
    np.testing.assert_allclose(np.array(four["scores"]), np.array(one["scores"]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.array(four["diagonal"]), np.array(one["diagonal"]), rtol=1e-5, atol=1e-6)
