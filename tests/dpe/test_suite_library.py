"""The JAX tasks that call jaxsim's kernels: their references run in the solution process and agree."""

import pytest

from jaxsim.dpe.check import outputs_match
from jaxsim.dpe.isolation import run_isolated
from jaxsim.dpe.suite import get_task


def _outputs(task, names, scale):
    sources = {r.name: r.code for r in task.references} | {c.name: c.code for c in task.candidates}
    outputs = {}
    for name in names:
        outcome = run_isolated(sources[name], task.entry_point, task.input_spec(scale), framework="jax", warmup=0,
                               repeats=1, keep_output=True)
        assert outcome.ok, (name, outcome.status, outcome.message, outcome.stderr_tail[-2000:])
        outputs[name] = (outcome.output, outcome.arrays)
    return outputs


@pytest.mark.parametrize(
    ("task_id", "scale", "library", "own", "wrong"),
    [
        # 64 particles in a box of side 11.3 (3 cells of side >= 1 per side at the least).
        ("pair_forces_2d", 64, ["library_dense", "library_cell_list", "library_dense_search"], "cell_list",
         "cell_list_no_minimum_image"),
        # n = 3: a 6-qubit state. The secret 7 (generator seed 0) sets every bit, so the highest
        # set bit differs from the lowest and a solution using the wrong convention disagrees.
        ("simon_oracle", 3, ["library_circuit", "library_permutation"], "one_gather", "f_of_x_is_x"),
    ],
)
def test_library_references_agree_with_jnp_solutions(task_id, scale, library, own, wrong):
    task = get_task(task_id)
    assert any("import jaxsim" in r.code or "from jaxsim" in r.code for r in task.references)
    outputs = _outputs(task, [*library, own, wrong], scale)
    expected, arrays = outputs[own]
    for name in library:
        assert outputs_match(expected, arrays, *outputs[name], task.check), name
    assert not outputs_match(expected, arrays, *outputs[wrong], task.check)
