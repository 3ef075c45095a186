import pytest

from jaxsim.dpe.levels import ReferenceCost, cluster_levels
from jaxsim.dpe.scoring import compare, score_sample, summarize_task


def _levels():
    # Three levels with repeats: 1000 (2 refs), 100, 10 (instructions-like quiet wall times).
    def ref(name, cost):
        return ReferenceCost(name, cost, 0.0, tuple(cost * (1 + 0.001 * i) for i in range(6)))

    return cluster_levels([ref("slow", 1000.0), ref("slow2", 990.0), ref("mid", 100.0), ref("fast", 10.0)], unit="s")


def _sample(cost, spread=0.001, n=6):
    return ReferenceCost("s", cost, 0.0, tuple(cost * (1 + spread * i) for i in range(n)))


def test_levels_fixture_by_hand():
    levels = _levels()
    assert [lv.members for lv in levels.levels] == [("slow", "slow2"), ("mid",), ("fast",)]
    assert [lv.score for lv in levels.levels] == [50.0, 75.0, 100.0]


def test_sample_scores_by_hand():
    levels = _levels()
    # As fast as the fastest level: rank 3 of 3, score 100.
    top = score_sample(_sample(9.0), levels, sample_id="a", task_id="t")
    assert (top.level, top.score, top.normalized_score) == (3, 100.0, 100.0)
    # Between mid (100) and fast (10): beats mid only, rank 2, score 75, normalised 66.7.
    between = score_sample(_sample(50.0), levels, sample_id="b", task_id="t")
    assert (between.level, between.score) == (2, 75.0)
    assert between.normalized_score == pytest.approx(200 / 3)
    # Slower than every level: correct, but score 0.
    slowest = score_sample(_sample(5000.0), levels, sample_id="c", task_id="t")
    assert slowest.correct
    assert (slowest.level, slowest.score) == (0, 0.0)
    assert "slower than every" in slowest.message


def test_tie_within_threshold_matches_level():
    levels = _levels()
    # 5 % slower than the mid representative: gap 0.048 < base 0.1, so it ties with mid.
    tie = score_sample(_sample(105.0), levels, sample_id="t", task_id="t")
    assert tie.level == 2


def test_significant_slowdown_drops_a_level():
    levels = _levels()
    # 30 % slower than mid with non-overlapping repeats: gap 0.23 > 0.1 and p < 0.05.
    result = compare(_sample(130.0), levels.levels[1], levels)
    assert result.slower
    assert result.test_used
    assert result.p_value < 0.05
    assert score_sample(_sample(130.0), levels, sample_id="s", task_id="t").level == 1


def test_overlapping_repeats_count_as_tie():
    levels = _levels()
    # Median 30 % above mid, but the repeats interleave with mid's, so the U test does not reject.
    noisy = ReferenceCost("s", 130.0, 0.5, (95.0, 99.0, 100.0, 101.0, 300.0, 400.0))
    result = compare(noisy, levels.levels[1], levels)
    assert result.p_value > 0.05
    assert not result.slower


def test_too_few_repeats_use_gap_rule_only():
    levels = _levels()
    single = ReferenceCost("s", 130.0, 0.0, (130.0,))
    result = compare(single, levels.levels[1], levels)
    assert not result.test_used
    assert result.slower


def test_incorrect_sample_scores_zero_and_counts():
    levels = _levels()
    wrong = score_sample(None, levels, sample_id="w", task_id="t", status="wrong_output", message="differs")
    good = score_sample(_sample(9.0), levels, sample_id="g", task_id="t")
    summary = summarize_task("t", [wrong, good])
    assert not wrong.correct
    assert wrong.score == 0.0
    assert summary.n_samples == 2
    assert summary.pass_rate == 0.5
    assert summary.mean_score == 50.0
    assert summary.mean_score_correct == 100.0
    assert summary.statuses == {"wrong_output": 1, "ok": 1}
