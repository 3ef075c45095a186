"""Score two solutions of a small task against reference solutions grouped into efficiency levels.

Run from the repository root:

    PYTHONPATH=. python examples/dpe_score_solutions.py

It builds a task (running totals of a list) with three references of different cost, measures
them in fresh subprocesses, forms the levels, and scores a fast, a quadratic and a wrong sample.
Costs are instruction counts where Linux perf events allow them and wall time otherwise.
"""

from jaxsim.dpe import evaluate_task, select_profiler, task_from_dict
from jaxsim.dpe.tasks import Sample

GENERATOR = """
import random

def generate(scale, seed):
    rng = random.Random(seed)
    return ([rng.randrange(-1000, 1000) for _ in range(scale)],)
"""

task = task_from_dict({
    "task_id": "running_totals",
    "entry_point": "prefix_sums",
    "prompt": "def prefix_sums(a: list[int]) -> list[int]:\n",
    "generator": GENERATOR,
    "scale": 1500,
    "references": [
        {"name": "double_loop", "code": "def prefix_sums(a):\n    out = []\n    for i in range(len(a)):\n"
                                        "        t = 0\n        for j in range(i + 1):\n            t += a[j]\n"
                                        "        out.append(t)\n    return out\n"},
        {"name": "sliced_sums", "code": "def prefix_sums(a):\n    return [sum(a[:i + 1]) for i in range(len(a))]\n"},
        {"name": "accumulate", "code": "from itertools import accumulate\n\n"
                                       "def prefix_sums(a):\n    return list(accumulate(a))\n"},
    ],
})

samples = [
    Sample("walrus", task.task_id, "def prefix_sums(a):\n    t = 0\n    return [t := t + x for x in a]\n"),
    Sample("quadratic", task.task_id, "def prefix_sums(a):\n    return [sum(a[:i]) for i in range(1, len(a) + 1)]\n"),
    Sample("exclusive", task.task_id, "def prefix_sums(a):\n    return [sum(a[:i]) for i in range(len(a))]\n"),
]

choice = select_profiler("auto", processes=2, repeats=3)
print(f"profiler: {choice.profiler.name} ({choice.reason})")
result = evaluate_task(task, samples, choice.profiler)

for level in result.references.levels.levels:
    print(f"level {level.rank}: {', '.join(level.members)} "
          f"(representative {level.representative.cost:.3g} {result.references.levels.unit}, score {level.score:.0f})")
for score in result.scores:
    print(f"{score.sample_id:10s} status={score.status:13s} level={score.level} score={score.score:5.1f} "
          f"normalised={score.normalized_score:5.1f}")
print(f"pass rate {result.summary.pass_rate:.2f}, mean score {result.summary.mean_score:.1f}")
