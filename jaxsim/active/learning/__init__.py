"""Learning the score of active-particle systems, and entropy production from it.

- :mod:`~jaxsim.active.learning.network`: :class:`ScoreNetwork`, a local attention network
  over each particle and its ``k`` nearest neighbours.
- :mod:`~jaxsim.active.learning.score`: :class:`ScoreInputs`, scores and exact
  per-particle divergences of the network.
- :mod:`~jaxsim.active.learning.losses`: denoising and implicit score matching, and the
  stationary Fokker-Planck residual.
- :mod:`~jaxsim.active.learning.skip_fit`: closed-form fit of the network's linear skip path.
- :mod:`~jaxsim.active.learning.training`: :func:`train_score` with optax, EMA and orbax
  checkpoints.
- :mod:`~jaxsim.active.learning.estimators`: probability-flow velocity, total and local
  entropy production, the divergence estimator and spatial maps.
- :mod:`~jaxsim.active.learning.reference`: exact Gaussian references of linear systems.
"""

from jaxsim.active.learning.estimators import (
    EntropyProductionEstimate,
    SpatialMap,
    entropy_production,
    estimator_agreement,
    local_entropy_production,
    probability_flow_velocity,
    propulsion_entropy_production,
    propulsion_entropy_production_divergence,
    spatial_map,
)
from jaxsim.active.learning.losses import (
    Drift,
    LossConfig,
    component_weights,
    denoising_loss,
    fokker_planck_residual,
    implicit_loss,
    score_matching_loss,
)
from jaxsim.active.learning.network import ScoreNetConfig, ScoreNetwork
from jaxsim.active.learning.reference import (
    GaussianReference,
    TetheredLattice,
    aoup_trap_entropy_production,
    aoup_trap_reference,
    linear_reference,
    tethered_lattice,
)
from jaxsim.active.learning.score import (
    ScoreInputs,
    build_tokens,
    particle_scores,
    particle_scores_and_hutchinson,
    particle_scores_and_jacobian_diagonal,
    score_function,
    split_score,
    validate_inputs,
)
from jaxsim.active.learning.skip_fit import fit_linear_skip
from jaxsim.active.learning.training import ScoreDataset, TrainConfig, TrainResult, train_score

__all__ = [
    "Drift",
    "EntropyProductionEstimate",
    "GaussianReference",
    "LossConfig",
    "ScoreDataset",
    "ScoreInputs",
    "ScoreNetConfig",
    "ScoreNetwork",
    "SpatialMap",
    "TetheredLattice",
    "TrainConfig",
    "TrainResult",
    "aoup_trap_entropy_production",
    "aoup_trap_reference",
    "build_tokens",
    "component_weights",
    "denoising_loss",
    "entropy_production",
    "fit_linear_skip",
    "estimator_agreement",
    "fokker_planck_residual",
    "implicit_loss",
    "linear_reference",
    "local_entropy_production",
    "particle_scores",
    "particle_scores_and_hutchinson",
    "particle_scores_and_jacobian_diagonal",
    "probability_flow_velocity",
    "propulsion_entropy_production",
    "propulsion_entropy_production_divergence",
    "score_function",
    "spatial_map",
    "split_score",
    "tethered_lattice",
    "train_score",
    "validate_inputs",
]
