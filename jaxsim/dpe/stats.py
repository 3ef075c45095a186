"""Statistics on repeated cost measurements: median confidence interval, noise, Mann-Whitney U.

All functions are deterministic (no resampling), so a score does not depend on a random seed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["MedianSummary", "median_ci", "relative_noise", "mann_whitney_greater", "summarize_costs"]


@dataclass(frozen=True)
class MedianSummary:
    """Median of repeated costs with a distribution-free confidence interval.

    Attributes:
        median: median cost.
        ci_low, ci_high: bounds of the confidence interval of the median.
        coverage: the interval's exact coverage probability (below the requested level when
            there are too few samples to reach it).
        relative_noise: robust relative spread, see :func:`relative_noise`.
        n: number of samples.
    """

    median: float
    ci_low: float
    ci_high: float
    coverage: float
    relative_noise: float
    n: int


def median_ci(samples: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Return ``(low, high, coverage)``, an order-statistic confidence interval of the median.

    The number of samples below the median is Binomial(n, 1/2), so the interval between the
    j-th and (n+1-j)-th order statistics covers the median with probability
    ``1 - 2 P(B <= j - 1)`` (Conover 1999, "Practical Nonparametric Statistics", 3rd ed., 3.2).
    ``j`` is the largest rank that still reaches ``level``; with fewer than 6 samples no interval
    reaches 95 %, and the full range is returned with its actual coverage.
    """
    values = np.sort(np.asarray(samples, dtype=float))
    n = values.size
    if n == 0:
        raise ValueError("median_ci needs at least one sample, got none.")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}.")
    cdf = np.cumsum([math.comb(n, k) for k in range(n + 1)]) / 2.0**n
    best_j = 1
    for j in range(1, n // 2 + 1):
        if 1.0 - 2.0 * cdf[j - 1] >= level:
            best_j = j
        else:
            break
    coverage = 1.0 - 2.0 * cdf[best_j - 1] if n > 1 else 0.0
    return float(values[best_j - 1]), float(values[n - best_j]), float(coverage)


def relative_noise(samples: Sequence[float]) -> float:
    """Return the robust relative standard deviation ``1.4826 * MAD / median`` of the samples.

    1.4826 scales the median absolute deviation to the standard deviation of a normal
    distribution; the MAD ignores the occasional slow repeat on a loaded machine. Returns 0 for
    fewer than 2 samples or a zero median.
    """
    values = np.asarray(samples, dtype=float)
    if values.size < 2:
        return 0.0
    median = float(np.median(values))
    if median == 0.0:
        return 0.0
    mad = float(np.median(np.abs(values - median)))
    return 1.4826 * mad / abs(median)


def summarize_costs(samples: Sequence[float], level: float = 0.95) -> MedianSummary:
    """Summarise repeated costs by median, confidence interval and relative noise."""
    low, high, coverage = median_ci(samples, level)
    values = np.asarray(samples, dtype=float)
    return MedianSummary(float(np.median(values)), low, high, coverage, relative_noise(values), int(values.size))


def _exact_u_distribution(n1: int, n2: int) -> np.ndarray:
    """Return the null probabilities of U = 0..n1*n2 for samples without ties.

    The count of arrangements with statistic u satisfies
    c(n1, n2, u) = c(n1 - 1, n2, u - n2) + c(n1, n2 - 1, u) (Mann and Whitney 1947).
    """
    table = [[None] * (n2 + 1) for _ in range(n1 + 1)]
    for i in range(n1 + 1):
        for j in range(n2 + 1):
            if i == 0 or j == 0:
                counts = np.zeros(i * j + 1)
                counts[0] = 1.0
            else:
                counts = np.zeros(i * j + 1)
                shifted = table[i - 1][j]
                counts[j: j + shifted.size] += shifted
                counts[: table[i][j - 1].size] += table[i][j - 1]
            table[i][j] = counts
    counts = table[n1][n2]
    return counts / counts.sum()


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> float:
    """Return the one-sided p-value of the Mann-Whitney U test that ``x`` tends to exceed ``y``.

    U counts the pairs with x_i > y_j, plus one half per tie (Mann and Whitney 1947, "On a test of
    whether one of two random variables is stochastically larger than the other"). Without ties
    and with n1 * n2 <= 400 the p-value is exact; otherwise it uses the normal approximation with
    the tie correction of the variance and a continuity correction of 1/2.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if a.size == 0 or b.size == 0:
        raise ValueError(f"mann_whitney_greater needs samples on both sides, got sizes {a.size} and {b.size}.")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("mann_whitney_greater got a non-finite sample; drop failed runs before testing.")
    n1, n2 = a.size, b.size
    u = float(np.sum(a[:, None] > b[None, :]) + 0.5 * np.sum(a[:, None] == b[None, :]))
    pooled = np.concatenate([a, b])
    _, tie_counts = np.unique(pooled, return_counts=True)
    has_ties = bool(np.any(tie_counts > 1))
    if not has_ties and n1 * n2 <= 400:
        probabilities = _exact_u_distribution(n1, n2)
        return float(probabilities[int(round(u)):].sum())
    n = n1 + n2
    mean = n1 * n2 / 2.0
    tie_term = float(np.sum(tie_counts**3 - tie_counts)) / (n * (n - 1)) if n > 1 else 0.0
    variance = n1 * n2 / 12.0 * ((n + 1) - tie_term)
    if variance <= 0.0:
        return 0.5 if u == mean else float(u < mean)
    z = (u - mean - 0.5) / math.sqrt(variance)
    return float(0.5 * math.erfc(z / math.sqrt(2.0)))
