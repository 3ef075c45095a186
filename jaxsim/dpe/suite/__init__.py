"""The built-in task suite: plain-Python and JAX tasks with references and known candidates.

Every task has at least four references. Neighbouring levels differ several-fold in cost at
the task's scale; where two references are meant to share a level their costs are nearly equal.
Each task also carries candidates with the reference whose level they should reach, or None
for a candidate expected to fail, which the ``dpe`` study uses to check the scoring.
"""

from __future__ import annotations

from jaxsim.dpe.suite.jax_tasks import FORCES, RECURRENCE, SIMON
from jaxsim.dpe.suite.python_tasks import PYTHON_TASKS
from jaxsim.dpe.tasks import Task

__all__ = ["builtin_tasks", "get_task"]


def builtin_tasks(framework: str | None = None) -> list[Task]:
    """Return the built-in tasks, optionally only those of ``framework`` (``"python"`` or ``"jax"``)."""
    tasks = [*PYTHON_TASKS, FORCES, SIMON, RECURRENCE]
    if framework is not None:
        if framework not in ("python", "jax"):
            raise ValueError(f"framework must be 'python', 'jax' or None, got {framework!r}.")
        tasks = [t for t in tasks if t.framework == framework]
    return tasks


def get_task(task_id: str) -> Task:
    """Return the built-in task ``task_id``; the error lists the known ids."""
    for task in builtin_tasks():
        if task.task_id == task_id:
            return task
    known = ", ".join(t.task_id for t in builtin_tasks())
    raise KeyError(f"no built-in task {task_id!r}; known tasks: {known}.")
