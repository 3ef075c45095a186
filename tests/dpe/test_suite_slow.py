import pytest

from jaxsim.dpe.evaluate import evaluate_task
from jaxsim.dpe.isolation import Limits, single_cpu
from jaxsim.dpe.profilers import WallTimeProfiler
from jaxsim.dpe.suite import get_task
from jaxsim.dpe.tasks import Sample


@pytest.mark.slow
@pytest.mark.parametrize("task_id", ["sort_integers", "fibonacci_mod", "linear_recurrence", "simon_oracle",
                                     "pair_forces_2d"])
def test_candidates_land_at_expected_levels(task_id):
    task = get_task(task_id)
    samples = [Sample(c.name, task_id, c.code) for c in task.candidates]
    # One CPU per process, as in the study and the command.
    profiler = WallTimeProfiler(processes=1, repeats=3, warmup=0, limits=Limits(cpus=single_cpu()))
    result = evaluate_task(task, samples, profiler)
    scores = {s.sample_id: s for s in result.scores}
    for candidate in task.candidates:
        score = scores[candidate.name]
        if candidate.expected_reference is None:
            assert not score.correct, candidate.name
            continue
        expected = next(lv.rank for lv in result.references.levels.levels
                        if candidate.expected_reference in lv.members)
        assert score.level == expected, (candidate.name, result.references.levels.to_dict())
