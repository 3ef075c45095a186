import math

import numpy as np
import pytest

from jaxsim.dpe.stats import mann_whitney_greater, median_ci, relative_noise, summarize_costs


def test_median_ci_twenty_samples_by_hand():
    # For n = 20, P(B <= 5) = 0.0207 with B ~ Binomial(20, 1/2), so ranks 6 and 15 give
    # coverage 1 - 2 * 0.0207 = 0.9586, and rank 7 would fall below 95 %.
    low, high, coverage = median_ci(range(20))
    assert low == 5.0
    assert high == 14.0
    assert coverage == pytest.approx(1 - 2 * sum(math.comb(20, k) for k in range(6)) / 2**20)


def test_median_ci_too_few_samples_returns_range():
    low, high, coverage = median_ci([3.0, 1.0, 2.0])
    assert (low, high) == (1.0, 3.0)
    assert coverage == pytest.approx(0.75)


def test_median_ci_rejects_empty():
    with pytest.raises(ValueError, match="at least one sample"):
        median_ci([])


def test_relative_noise_matches_normal_sigma():
    rng = np.random.default_rng(0)
    samples = 100.0 + 5.0 * rng.standard_normal(20_000)
    # 1.4826 * MAD estimates sigma = 5 for normal data; the sampling error at n = 20000 is < 2 %.
    assert relative_noise(samples) == pytest.approx(0.05, rel=0.03)
    assert relative_noise([7.0]) == 0.0


def test_mann_whitney_exact_by_hand():
    # x all above y: U = 9 of 9 pairs; exactly 1 of C(6, 3) = 20 arrangements is this extreme.
    assert mann_whitney_greater([4, 5, 6], [1, 2, 3]) == pytest.approx(1 / 20)
    assert mann_whitney_greater([1, 2, 3], [4, 5, 6]) == pytest.approx(1.0)


def test_mann_whitney_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    for n1, n2 in [(3, 4), (6, 6), (10, 12)]:
        x, y = rng.normal(0.5, 1, n1), rng.normal(0, 1, n2)
        expected = stats.mannwhitneyu(x, y, alternative="greater", method="exact").pvalue
        assert mann_whitney_greater(x, y) == pytest.approx(expected, rel=1e-9)
    x, y = [1, 1, 2, 3, 3, 4] * 10, [1, 2, 2, 2, 3] * 10
    expected = stats.mannwhitneyu(x, y, alternative="greater", method="asymptotic").pvalue
    assert mann_whitney_greater(x, y) == pytest.approx(expected, rel=1e-9)


def test_mann_whitney_rejects_bad_samples():
    with pytest.raises(ValueError, match="both sides"):
        mann_whitney_greater([], [1.0])
    with pytest.raises(ValueError, match="non-finite"):
        mann_whitney_greater([float("nan")], [1.0])


def test_summarize_costs_fields():
    summary = summarize_costs([1.0, 2.0, 3.0, 4.0, 100.0])
    assert summary.median == 3.0
    assert summary.n == 5
    assert summary.ci_low <= summary.median <= summary.ci_high
