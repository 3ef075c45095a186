"""Scores of samples against efficiency levels, and per-task summaries.

Following EvalPerf (Liu et al. 2024, "Evaluating Language Models for Efficient Code
Generation", arXiv:2408.06450), a correct sample gets the cumulative score of the fastest level
whose representative it matches or beats (the differential performance score, DPS), and the
normalised score ``100 * rank / n_levels``. A correct sample slower than every level scores 0;
an incorrect or failed sample scores 0 and counts in the pass rate.

"Matches or beats" is decided by a tie test instead of a bare comparison of medians. The sample
is slower than the representative only when both hold:

1. the relative gap ``(c - r) / c`` exceeds ``base + allowance``, the same rule that separates
   levels (:func:`jaxsim.dpe.levels.noise_allowance`, with the between-process noise estimated
   from the task's references), and
2. a one-sided Mann-Whitney U test on the repeats rejects "not slower" (p <= ``alpha``). When the
   repeats are too few for the test to ever reach ``alpha``, rule 1 decides alone and the
   comparison records that.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from jaxsim.dpe.levels import Level, Levels, ReferenceCost, noise_allowance
from jaxsim.dpe.stats import mann_whitney_greater

__all__ = ["DEFAULT_ALPHA", "Comparison", "SampleScore", "TaskSummary", "compare", "score_sample", "summarize_task"]

DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Comparison:
    """The tie test of a sample against one level's representative."""

    level_rank: int
    slower: bool
    gap: float
    threshold: float
    p_value: float | None
    test_used: bool


@dataclass(frozen=True)
class SampleScore:
    """The score of one sample.

    Attributes:
        sample_id, task_id: identifiers.
        status: ``"ok"`` or a failure status (``"wrong_output"``, ``"timeout"``, ...).
        correct: whether the sample ran and matched the reference output.
        level: rank of the level reached (0 when failed or slower than every level).
        n_levels: number of levels of the task.
        score: DPS in percent (0 to 100).
        normalized_score: ``100 * level / n_levels``.
        cost: median cost, NaN on failure.
        message: failure explanation.
        comparisons: the tie tests made, fastest level first.
    """

    sample_id: str
    task_id: str
    status: str
    correct: bool
    level: int
    n_levels: int
    score: float
    normalized_score: float
    cost: float = float("nan")
    message: str = ""
    comparisons: tuple[Comparison, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict:
        return {
            "sample_id": self.sample_id, "task_id": self.task_id, "status": self.status, "correct": self.correct,
            "level": self.level, "n_levels": self.n_levels, "score": self.score,
            "normalized_score": self.normalized_score, "cost": self.cost, "message": self.message,
            "comparisons": [c.__dict__ for c in self.comparisons],
        }


def _test_can_reject(n1: int, n2: int, alpha: float) -> bool:
    # The smallest one-sided exact p-value is 1 / C(n1 + n2, n1).
    return n1 > 0 and n2 > 0 and 1.0 / math.comb(n1 + n2, n1) <= alpha


def compare(sample: ReferenceCost, level: Level, levels: Levels, *, alpha: float = DEFAULT_ALPHA) -> Comparison:
    """Decide whether ``sample`` is slower than the representative of ``level``."""
    rep = level.representative
    if sample.cost <= 0:
        raise ValueError(f"sample {sample.name!r} has cost {sample.cost}; costs must be positive.")
    gap = (sample.cost - rep.cost) / sample.cost
    threshold = levels.base + noise_allowance(sample, rep, levels.unit, levels.noise_multiplier, levels.max_allowance,
                                              levels.process_noise)
    beyond_gap = gap > threshold
    test_used = _test_can_reject(len(sample.samples), len(rep.samples), alpha)
    p_value = None
    if test_used:
        p_value = mann_whitney_greater(sample.samples, rep.samples)
        slower = beyond_gap and p_value <= alpha
    else:
        slower = beyond_gap
    return Comparison(level.rank, slower, gap, threshold, p_value, test_used)


def score_sample(
    sample: ReferenceCost | None,
    levels: Levels,
    *,
    sample_id: str,
    task_id: str,
    status: str = "ok",
    message: str = "",
    alpha: float = DEFAULT_ALPHA,
) -> SampleScore:
    """Score one sample against a task's levels.

    Args:
        sample: the sample's cost and repeats; None when it failed.
        levels: the task's levels.
        status: ``"ok"`` for a correct sample, otherwise its failure status.
        alpha: significance level of the tie test.

    Returns:
        A :class:`SampleScore`; a failed sample scores 0 with ``correct=False``.
    """
    n = levels.n_levels
    if status != "ok" or sample is None:
        return SampleScore(sample_id, task_id, status if status != "ok" else "error", False, 0, n, 0.0, 0.0,
                           message=message or "no measurement")
    comparisons = []
    for level in reversed(levels.levels):
        comparison = compare(sample, level, levels, alpha=alpha)
        comparisons.append(comparison)
        if not comparison.slower:
            return SampleScore(sample_id, task_id, "ok", True, level.rank, n, level.score, 100.0 * level.rank / n,
                               cost=sample.cost, comparisons=tuple(comparisons))
    return SampleScore(sample_id, task_id, "ok", True, 0, n, 0.0, 0.0, cost=sample.cost,
                       message="slower than every reference level", comparisons=tuple(comparisons))


@dataclass(frozen=True)
class TaskSummary:
    """Scores of all samples of one task.

    Attributes:
        mean_score: mean DPS over all samples, failures counted as 0.
        mean_score_correct: mean DPS over correct samples (NaN when none is correct).
        mean_normalized_score: mean normalised score over all samples.
        pass_rate: share of samples that ran and were correct.
        statuses: count of samples per status.
    """

    task_id: str
    n_samples: int
    n_correct: int
    pass_rate: float
    mean_score: float
    mean_score_correct: float
    mean_normalized_score: float
    statuses: dict[str, int]

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def summarize_task(task_id: str, scores: Sequence[SampleScore]) -> TaskSummary:
    """Summarise the scores of one task's samples; failures stay in every mean as 0."""
    n = len(scores)
    correct = [s for s in scores if s.correct]
    return TaskSummary(
        task_id=task_id,
        n_samples=n,
        n_correct=len(correct),
        pass_rate=len(correct) / n if n else float("nan"),
        mean_score=sum(s.score for s in scores) / n if n else float("nan"),
        mean_score_correct=sum(s.score for s in correct) / len(correct) if correct else float("nan"),
        mean_normalized_score=sum(s.normalized_score for s in scores) / n if n else float("nan"),
        statuses=dict(Counter(s.status for s in scores)),
    )
