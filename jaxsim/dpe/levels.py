"""Efficiency levels: reference solutions grouped by cost, as in EvalPerf.

Liu et al. 2024, "Evaluating Language Models for Efficient Code Generation" (EvalPerf,
arXiv:2408.06450) sort the reference costs in descending order, a_1 >= a_2 >= ... >= a_n, and
start a new level after reference i when the relative gap to the next one is too large to be
noise:

    (a_i - a_{i+1}) / a_i  >  base + allowance_i

For instruction counts the allowance is their published rule ``sqrt(10000 / a_i)``, which
shrinks as counts grow. Wall time has no such fixed rule, so the allowance here is estimated
from the repeats:

    1 - exp(-noise_multiplier * sqrt(s_i**2 / n_i + s_{i+1}**2 / n_{i+1} + 2 sigma_p**2))

where ``s`` is the robust relative standard deviation (1.4826 MAD / median) of a reference's
``n`` repeats within its processes, and ``sigma_p`` is the between-process noise: the pooled
standard deviation of the log of the per-process costs (see :func:`process_noise`), estimated
from the references of the task measured in two or more fresh processes each. The first two
terms are the squared standard errors of two medians. The third is the variance that a load
episode, the CPU frequency or the memory layout adds to a whole process's measurement, which
more repeats inside that process do not reduce. The square root is thereby the standard error
``sigma`` of the difference of the two log costs. A ratio of costs ``exp(k sigma)``, k such
standard errors, is the relative gap ``1 - exp(-k sigma)``, which equals ``k sigma`` to first
order. With k = 2 the exact form keeps a ratio of 2 (gap 0.5) in two levels at
``sigma_p = 0.15`` (sigma = 0.21, threshold 0.45), which ``k sigma`` (threshold 0.52) would not.
The allowance is
capped at ``max_allowance`` (default 0.5), so references more than ``1 / (1 - base - 0.5)``
= 2.5 times apart always form separate levels however noisy the machine is; without the cap a
loaded machine could merge every reference into one level, because a relative gap cannot
exceed 1.

Each level is represented by its slowest member and carries a cumulative score: the
percentage of references in that level or a slower one. The fastest level scores 100.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_BASE",
    "DEFAULT_NOISE_MULTIPLIER",
    "DEFAULT_MAX_ALLOWANCE",
    "ReferenceCost",
    "Level",
    "Levels",
    "noise_allowance",
    "process_noise",
    "cluster_levels",
]

# NOTE: base = 0.1 (a 10 % gap on top of the noise allowance) is this library's default; EvalPerf
# fixes the instruction-count allowance sqrt(10000 / a_i) but the base offset is a free setting.
DEFAULT_BASE = 0.1
DEFAULT_NOISE_MULTIPLIER = 2.0
DEFAULT_MAX_ALLOWANCE = 0.5


@dataclass(frozen=True)
class ReferenceCost:
    """A reference solution's measured cost.

    Attributes:
        name: the reference's name.
        cost: its cost (seconds or instructions), positive: the statistic the profiler chose
            (median of instruction counts, minimum of wall times).
        relative_noise: robust relative standard deviation of its repeats.
        samples: the repeats themselves; their count sets the standard error, and the tie
            test uses them when scoring.
        process_costs: the same statistic per fresh process (empty when unknown); their spread
            is the between-process noise.
    """

    name: str
    cost: float
    relative_noise: float = 0.0
    samples: tuple[float, ...] = field(default=(), repr=False)
    process_costs: tuple[float, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Level:
    """One efficiency level.

    Attributes:
        rank: 1 for the slowest level, up to the number of levels for the fastest.
        members: names of the references in the level, slowest first.
        costs: their costs.
        representative: the slowest member, against which samples are compared.
        score: cumulative score in percent: the share of references in this level or slower ones.
    """

    rank: int
    members: tuple[str, ...]
    costs: tuple[float, ...]
    representative: ReferenceCost
    score: float


@dataclass(frozen=True)
class Levels:
    """The levels of one task, slowest first, with the settings that produced them.

    Attributes:
        levels: from slowest (rank 1) to fastest.
        unit: ``"s"`` or ``"instructions"``.
        base, noise_multiplier, max_allowance: the split rule's settings.
        splits: one record per neighbouring pair: the relative gap, the threshold, whether it split.
        process_noise: the between-process noise ``sigma_p`` used in the wall-time allowance
            (0 when the references ran in one process each); the tie test of samples uses it too.
        process_noise_dof: its degrees of freedom, the number of processes minus the number of
            references.
    """

    levels: tuple[Level, ...]
    unit: str
    base: float
    noise_multiplier: float
    max_allowance: float = DEFAULT_MAX_ALLOWANCE
    splits: tuple[dict, ...] = ()
    process_noise: float = 0.0
    process_noise_dof: int = 0

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def n_references(self) -> int:
        return sum(len(level.members) for level in self.levels)

    def to_dict(self) -> dict:
        return {
            "unit": self.unit,
            "base": self.base,
            "noise_multiplier": self.noise_multiplier,
            "max_allowance": self.max_allowance,
            "process_noise": self.process_noise,
            "process_noise_dof": self.process_noise_dof,
            "levels": [
                {"rank": lv.rank, "score": lv.score, "representative": lv.representative.name,
                 "representative_cost": lv.representative.cost, "members": list(lv.members), "costs": list(lv.costs)}
                for lv in self.levels
            ],
            "splits": list(self.splits),
        }


def process_noise(references: Sequence[ReferenceCost]) -> tuple[float, int]:
    """Return the pooled between-process noise ``sigma_p`` and its degrees of freedom.

    ``sigma_p**2 = sum_i sum_p (log c_ip - mean_p log c_ip)**2 / sum_i (P_i - 1)``: the pooled
    variance of the log per-process costs ``c_ip`` of each reference ``i`` about its own mean,
    over the references with ``P_i >= 2`` processes. On the log scale it is a relative noise,
    and pooling over the references of one task (measured on the same machine in the same
    period) gives more degrees of freedom than any single reference has. Returns ``(0.0, 0)``
    when no reference ran in two or more processes.
    """
    total, dof = 0.0, 0
    for ref in references:
        costs = [c for c in ref.process_costs if c > 0 and math.isfinite(c)]
        if len(costs) < 2:
            continue
        logs = [math.log(c) for c in costs]
        mean = sum(logs) / len(logs)
        total += sum((x - mean) ** 2 for x in logs)
        dof += len(logs) - 1
    return (math.sqrt(total / dof), dof) if dof else (0.0, 0)


def noise_allowance(slower: ReferenceCost, faster: ReferenceCost, unit: str,
                    noise_multiplier: float = DEFAULT_NOISE_MULTIPLIER,
                    max_allowance: float = DEFAULT_MAX_ALLOWANCE, between_process: float = 0.0) -> float:
    """Return the allowance added to ``base`` before two costs count as different levels.

    Instruction counts: ``sqrt(10000 / a)`` with ``a`` the slower cost (EvalPerf's rule).
    Wall time: ``1 - exp(-noise_multiplier * sqrt(s_slow**2 / n_slow + s_fast**2 / n_fast + 2 sigma_p**2))``
    from the repeats' relative noise ``s``, their counts ``n`` (1 when no repeats are attached)
    and the between-process noise ``sigma_p = between_process`` (see :func:`process_noise`).
    Both are capped at ``max_allowance``.
    """
    if unit == "instructions":
        allowance = math.sqrt(10_000.0 / slower.cost)
    elif unit == "s":
        n_slow, n_fast = max(1, len(slower.samples)), max(1, len(faster.samples))
        log_error = math.sqrt(slower.relative_noise**2 / n_slow + faster.relative_noise**2 / n_fast
                              + 2.0 * between_process**2)
        # The noise is a standard deviation of log costs. A log ratio of k of them is the relative
        # gap 1 - exp(-k sigma) that the rule compares, which is k sigma for small k sigma.
        allowance = 1.0 - math.exp(-noise_multiplier * log_error)
    else:
        raise ValueError(f"unit must be 's' or 'instructions', got {unit!r}.")
    return min(allowance, max_allowance)


def cluster_levels(
    references: Sequence[ReferenceCost],
    *,
    unit: str,
    base: float = DEFAULT_BASE,
    noise_multiplier: float = DEFAULT_NOISE_MULTIPLIER,
    max_allowance: float = DEFAULT_MAX_ALLOWANCE,
    between_process: float | None = None,
) -> Levels:
    """Group references into efficiency levels by the relative-gap rule.

    Args:
        references: measured references; at least one, all with a positive finite cost.
        unit: ``"s"`` or ``"instructions"``; selects the noise allowance.
        base: the gap a split needs on top of the noise allowance.
        noise_multiplier: multiple of the relative standard error used for wall time.
        max_allowance: cap of the noise allowance.
        between_process: the between-process noise ``sigma_p`` of wall times; None estimates it
            from the references' ``process_costs`` with :func:`process_noise`.

    Returns:
        :class:`Levels` from slowest to fastest. References with equal cost keep input order.

    Raises:
        ValueError: for no references, a non-positive or non-finite cost, or a negative base.
    """
    if not references:
        raise ValueError("cluster_levels needs at least one reference; a task without references cannot be scored.")
    if base < 0:
        raise ValueError(f"base must be >= 0, got {base}.")
    if not (0 <= max_allowance and base + max_allowance < 1):
        raise ValueError(
            f"need max_allowance >= 0 and base + max_allowance < 1, got base={base}, max_allowance={max_allowance}; "
            "otherwise no gap could ever split two references."
        )
    for ref in references:
        if not (math.isfinite(ref.cost) and ref.cost > 0):
            raise ValueError(f"reference {ref.name!r} has cost {ref.cost}; costs must be positive and finite.")
    dof = 0
    if between_process is None:
        between_process, dof = process_noise(references) if unit == "s" else (0.0, 0)
    if not (math.isfinite(between_process) and between_process >= 0):
        raise ValueError(f"between_process must be finite and >= 0, got {between_process}.")
    ordered = sorted(references, key=lambda r: -r.cost)
    groups: list[list[ReferenceCost]] = [[ordered[0]]]
    splits = []
    for slower, faster in zip(ordered[:-1], ordered[1:]):
        gap = (slower.cost - faster.cost) / slower.cost
        threshold = base + noise_allowance(slower, faster, unit, noise_multiplier, max_allowance, between_process)
        split = gap > threshold
        splits.append({"after": slower.name, "before": faster.name, "gap": gap, "threshold": threshold, "split": split})
        if split:
            groups.append([faster])
        else:
            groups[-1].append(faster)
    total = len(ordered)
    levels = []
    covered = 0
    for rank, group in enumerate(groups, start=1):
        covered += len(group)
        levels.append(Level(rank=rank, members=tuple(r.name for r in group), costs=tuple(r.cost for r in group),
                            representative=group[0], score=100.0 * covered / total))
    return Levels(tuple(levels), unit, base, noise_multiplier, max_allowance, tuple(splits), float(between_process),
                  int(dof))
