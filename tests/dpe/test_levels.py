import math

import pytest

from jaxsim.dpe.levels import ReferenceCost, cluster_levels, noise_allowance


def test_instruction_levels_by_hand():
    # Sorted: 1e8, 2.5e7, 2.4e7, 1e6.
    # gap 1: 0.75 > 0.1 + sqrt(1e4 / 1e8) = 0.11 -> split.
    # gap 2: 0.04 < 0.1 + sqrt(1e4 / 2.5e7) = 0.12 -> same level.
    # gap 3: 0.9583 > 0.1 + sqrt(1e4 / 2.4e7) = 0.1204 -> split.
    refs = [ReferenceCost("c", 2.4e7), ReferenceCost("a", 1e8), ReferenceCost("d", 1e6), ReferenceCost("b", 2.5e7)]
    levels = cluster_levels(refs, unit="instructions")
    assert [lv.members for lv in levels.levels] == [("a",), ("b", "c"), ("d",)]
    assert [lv.score for lv in levels.levels] == [25.0, 75.0, 100.0]
    assert [lv.representative.name for lv in levels.levels] == ["a", "b", "d"]
    assert levels.splits[1]["threshold"] == pytest.approx(0.12)


def test_instruction_allowance_small_counts():
    # Below 1e4 instructions the allowance sqrt(1e4 / a) exceeds 1 and is capped at 0.5.
    slow, fast = ReferenceCost("s", 400.0), ReferenceCost("f", 100.0)
    assert noise_allowance(slow, fast, "instructions", max_allowance=10.0) == pytest.approx(5.0)
    assert noise_allowance(slow, fast, "instructions") == 0.5


def test_wall_allowance_uses_standard_error():
    slow = ReferenceCost("s", 1.0, relative_noise=0.3, samples=(1.0,) * 9)
    fast = ReferenceCost("f", 0.5, relative_noise=0.4, samples=(0.5,) * 4)
    # 1 - exp(-2 * sqrt(0.3^2 / 9 + 0.4^2 / 4)) = 1 - exp(-2 * sqrt(0.01 + 0.04))
    assert noise_allowance(slow, fast, "s") == pytest.approx(1 - math.exp(-2 * math.sqrt(0.05)))


def test_wall_noise_merges_close_references():
    quiet = [ReferenceCost("a", 1.0, 0.01, (1.0,) * 4), ReferenceCost("b", 0.8, 0.01, (0.8,) * 4)]
    noisy = [ReferenceCost("a", 1.0, 0.4, (1.0,) * 4), ReferenceCost("b", 0.8, 0.4, (0.8,) * 4)]
    # gap 0.2; quiet threshold 0.1 + 1 - exp(-2 * sqrt(2 * 0.01^2 / 4)) = 0.114, noisy 0.1 + 0.432 = 0.532.
    assert cluster_levels(quiet, unit="s").n_levels == 2
    assert cluster_levels(noisy, unit="s").n_levels == 1


def test_cap_keeps_far_references_apart():
    refs = [ReferenceCost("slow", 4.0, 5.0), ReferenceCost("fast", 1.0, 5.0)]
    # Without the cap, noise 5.0 would merge a 4x gap (0.75); the cap limits the threshold to 0.6.
    assert cluster_levels(refs, unit="s").n_levels == 2
    assert cluster_levels(refs, unit="s", max_allowance=0.8, base=0.0).n_levels == 1


def test_equal_costs_share_level():
    refs = [ReferenceCost("x", 2.0), ReferenceCost("y", 2.0), ReferenceCost("z", 2.0)]
    levels = cluster_levels(refs, unit="s")
    assert levels.n_levels == 1
    assert levels.levels[0].score == 100.0
    assert levels.levels[0].members == ("x", "y", "z")


def test_cluster_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one reference"):
        cluster_levels([], unit="s")
    with pytest.raises(ValueError, match="positive and finite"):
        cluster_levels([ReferenceCost("bad", 0.0)], unit="s")
    with pytest.raises(ValueError, match="positive and finite"):
        cluster_levels([ReferenceCost("bad", float("nan"))], unit="s")
    with pytest.raises(ValueError, match="unit must be"):
        cluster_levels([ReferenceCost("a", 2.0), ReferenceCost("b", 1.0)], unit="cycles")
    with pytest.raises(ValueError, match="base must be"):
        cluster_levels([ReferenceCost("a", 1.0)], unit="s", base=-0.1)
    with pytest.raises(ValueError, match="no gap could ever split"):
        cluster_levels([ReferenceCost("a", 1.0)], unit="s", base=0.6, max_allowance=0.5)


def test_process_noise_pools_log_costs_by_hand():
    from jaxsim.dpe.levels import process_noise

    refs = [ReferenceCost("a", 1.0, process_costs=(1.0, math.e ** 0.2)),
            ReferenceCost("b", 2.0, process_costs=(2.0, 2.0 * math.e ** 0.1, 2.0 * math.e ** 0.2)),
            ReferenceCost("c", 3.0, process_costs=(3.0,))]
    # a: logs 0, 0.2 -> squared deviations 0.01 + 0.01; b: 0, 0.1, 0.2 -> 0.01 + 0 + 0.01; c has one process.
    sigma, dof = process_noise(refs)
    assert dof == 3
    assert sigma == pytest.approx(math.sqrt(0.04 / 3))
    assert process_noise([ReferenceCost("x", 1.0)]) == (0.0, 0)


def test_between_process_noise_widens_the_split():
    # Two references 20 % apart with quiet repeats split. With process costs 15 % apart within
    # each reference, sigma_p = log(1.15) / sqrt(2) and the allowance 1 - exp(-2 sqrt(2) sigma_p)
    # = 1 - 1.15**-2 = 0.244 merges them.
    def ref(name, cost, spread):
        return ReferenceCost(name, cost, 0.0, (cost,) * 4, (cost, cost * (1 + spread)))

    assert cluster_levels([ref("a", 1.0, 0.0), ref("b", 0.8, 0.0)], unit="s").n_levels == 2
    noisy = cluster_levels([ref("a", 1.0, 0.15), ref("b", 0.8, 0.15)], unit="s")
    assert noisy.n_levels == 1
    assert noisy.process_noise == pytest.approx(math.log(1.15) / math.sqrt(2))
    assert noisy.process_noise_dof == 2
    assert noisy.splits[0]["threshold"] == pytest.approx(0.1 + 1 - 1.15**-2)
    # An explicit value overrides the estimate; a negative one is refused.
    assert cluster_levels([ref("a", 1.0, 0.15), ref("b", 0.8, 0.15)], unit="s", between_process=0.0).n_levels == 2
    with pytest.raises(ValueError, match="between_process"):
        cluster_levels([ref("a", 1.0, 0.0)], unit="s", between_process=-1.0)


def test_allowance_keeps_twofold_ratio_apart_under_noise():
    # Costs 2x apart (gap 0.5) with sigma_p = 0.15: the allowance 1 - exp(-2 sqrt(2) 0.15) = 0.346
    # leaves them two levels; the first-order form 2 sqrt(2) 0.15 = 0.424 would have merged them.
    refs = [ReferenceCost("slow", 2.0, 0.0, (2.0,) * 4), ReferenceCost("fast", 1.0, 0.0, (1.0,) * 4)]
    levels = cluster_levels(refs, unit="s", between_process=0.15)
    assert levels.splits[0]["threshold"] == pytest.approx(0.1 + 1 - math.exp(-2 * math.sqrt(2) * 0.15))
    assert levels.n_levels == 2
