"""Tasks: a prompt, an entry point, reference solutions and a performance-exercising input.

Tasks are read from JSONL, one JSON object per line. Native fields:

``task_id`` (str, required), ``entry_point`` (str, required), ``prompt`` (str),
``references`` (list of source strings or ``{"name", "code"}`` objects, at least one),
``framework`` (``"python"`` or ``"jax"``, default ``"python"``), and the input, either
``pe_input`` (a fixed list of calls, each a list of positional arguments, or a string holding
such a Python literal) or ``generator`` (source defining ``generate(scale, seed)`` that returns
the argument tuple) with ``scale`` (an int, or null to search for one by doubling) and ``seed``.
Optional: ``check`` (``{"kind": "exact"}`` or ``{"kind": "allclose", "rtol", "atol"}``),
``time_limit_s``, ``candidates`` (``{"name", "code", "expected_reference"}``: the reference
whose level the candidate should reach, null for a candidate expected to fail).

Fields of the public EvalPerf dataset (Liu et al. 2024, arXiv:2408.06450) map as follows:
``task_id``, ``prompt``, ``entry_point`` and ``pe_input`` are read as above (``pe_input`` is a
string holding a Python literal list of argument lists), and ``solutions`` (a list of
reference sources; also accepted as ``reference`` or ``canonical_solution`` for one source) become
``references``. Other fields (such as ``scores``) are kept in ``extra`` and not used.
NOTE: the mapping follows the dataset's field names as published with EvalPerf; it was not
checked against a downloaded copy of the dataset here.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Reference",
    "Candidate",
    "Task",
    "Sample",
    "TaskFormatError",
    "task_from_dict",
    "load_tasks",
    "load_samples",
    "sample_from_dict",
    "write_tasks",
]


class TaskFormatError(ValueError):
    """Raised for a task or sample record that cannot be used; the message names the field and the fix."""


@dataclass(frozen=True)
class Reference:
    """A reference solution."""

    name: str
    code: str


@dataclass(frozen=True)
class Candidate:
    """A solution with a known expected placement, used to validate scoring.

    Attributes:
        expected_reference: the reference whose level the candidate should reach, or None when
            the candidate is expected to fail (wrong output, error). Naming a reference instead of
            a level number keeps the expectation valid when two close references merge or split.
    """

    name: str
    code: str
    expected_reference: str | None
    note: str = ""


@dataclass(frozen=True)
class Task:
    """One task.

    Attributes:
        task_id: unique name.
        entry_point: the function every solution defines.
        references: reference solutions, at least one.
        framework: ``"python"`` or ``"jax"``.
        pe_input: fixed calls (list of argument lists), or None when a generator is used.
        generator: source defining ``generate(scale, seed)``, or None.
        scale: the generator's scale, or None to search by doubling.
        seed: the generator's seed.
        check: output comparison, ``{"kind": "exact"}`` or ``{"kind": "allclose", "rtol", "atol"}``.
        time_limit_s: per-process limit, or None for the evaluator's default.
        prompt: the task statement.
        candidates: solutions with known expected levels.
        description: one line for listings.
        extra: unused fields of the record.
    """

    task_id: str
    entry_point: str
    references: tuple[Reference, ...]
    framework: str = "python"
    pe_input: tuple | None = None
    generator: str | None = None
    scale: int | None = None
    seed: int = 0
    check: dict = field(default_factory=lambda: {"kind": "exact"})
    time_limit_s: float | None = None
    prompt: str = ""
    candidates: tuple[Candidate, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict, repr=False)

    def input_spec(self, scale: int | None = None) -> dict[str, Any]:
        """Return the child's input specification at ``scale`` (default: the task's scale)."""
        if self.pe_input is not None:
            return {"kind": "fixed", "calls": [list(call) for call in self.pe_input]}
        scale = self.scale if scale is None else scale
        if scale is None:
            raise TaskFormatError(
                f"task {self.task_id!r} has no scale yet; find one with find_performance_input or set 'scale'."
            )
        return {"kind": "generator", "code": self.generator, "scale": int(scale), "seed": int(self.seed)}

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "task_id": self.task_id,
            "prompt": self.prompt,
            "entry_point": self.entry_point,
            "framework": self.framework,
            "references": [{"name": r.name, "code": r.code} for r in self.references],
            "check": self.check,
            "description": self.description,
        }
        if self.pe_input is not None:
            record["pe_input"] = [list(call) for call in self.pe_input]
        else:
            record.update(generator=self.generator, scale=self.scale, seed=self.seed)
        if self.time_limit_s is not None:
            record["time_limit_s"] = self.time_limit_s
        if self.candidates:
            record["candidates"] = [
                {"name": c.name, "code": c.code, "expected_reference": c.expected_reference, "note": c.note}
                for c in self.candidates
            ]
        return record


@dataclass(frozen=True)
class Sample:
    """A solution to score."""

    sample_id: str
    task_id: str
    code: str


def _parse_pe_input(task_id: str, value: Any) -> tuple:
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError) as error:
            raise TaskFormatError(
                f"task {task_id!r}: pe_input is a string but not a Python literal ({error}); "
                "write it as a list of argument lists."
            ) from error
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(c, (list, tuple)) for c in value):
        raise TaskFormatError(
            f"task {task_id!r}: pe_input must be a non-empty list of argument lists, e.g. [[[3, 1, 2]]] "
            f"for one call f([3, 1, 2]); got {str(value)[:80]!r}."
        )
    return tuple(tuple(call) for call in value)


def _parse_references(task_id: str, record: dict) -> tuple[Reference, ...]:
    raw = record.get("references", record.get("solutions"))
    if raw is None:
        single = record.get("reference", record.get("canonical_solution"))
        if isinstance(single, list):
            raw = single
        elif single is not None:
            raw = [single]
    if not raw:
        raise TaskFormatError(
            f"task {task_id!r} has no reference solutions; add 'references' (a list of sources) so that "
            "levels can be formed."
        )
    references = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            references.append(Reference(f"ref{index}", item))
        elif isinstance(item, dict) and isinstance(item.get("code", item.get("solution")), str):
            references.append(Reference(str(item.get("name", f"ref{index}")), item.get("code", item.get("solution"))))
        else:
            raise TaskFormatError(
                f"task {task_id!r}: reference {index} must be a source string or {{'name', 'code'}}, "
                f"got {type(item).__name__}."
            )
    names = [r.name for r in references]
    if len(set(names)) != len(names):
        raise TaskFormatError(f"task {task_id!r}: reference names repeat: {names}; give each a unique name.")
    return tuple(references)


_KNOWN_FIELDS = {
    "task_id", "entry_point", "prompt", "references", "solutions", "reference", "canonical_solution",
    "framework", "pe_input", "generator", "scale", "seed", "check", "time_limit_s", "candidates", "description",
}


def task_from_dict(record: dict) -> Task:
    """Build a :class:`Task` from a native or EvalPerf record.

    Raises:
        TaskFormatError: for a missing id or entry point, no references, no input, or a bad field.
    """
    if not isinstance(record, dict):
        raise TaskFormatError(f"a task record must be a JSON object, got {type(record).__name__}.")
    task_id = record.get("task_id")
    if not isinstance(task_id, str) or not task_id:
        raise TaskFormatError(f"a task record has no 'task_id' string; fields present: {sorted(record)}.")
    entry_point = record.get("entry_point")
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        raise TaskFormatError(
            f"task {task_id!r}: 'entry_point' must name a Python function, got {entry_point!r}."
        )
    framework = record.get("framework", "python")
    if framework not in ("python", "jax"):
        raise TaskFormatError(f"task {task_id!r}: framework must be 'python' or 'jax', got {framework!r}.")
    references = _parse_references(task_id, record)
    pe_input = None
    generator = record.get("generator")
    if record.get("pe_input") is not None:
        pe_input = _parse_pe_input(task_id, record["pe_input"])
    elif not isinstance(generator, str):
        raise TaskFormatError(
            f"task {task_id!r} has no input: give 'pe_input' (fixed calls) or 'generator' "
            "(source defining generate(scale, seed))."
        )
    scale = record.get("scale")
    if scale is not None and (not isinstance(scale, int) or scale < 1):
        raise TaskFormatError(f"task {task_id!r}: scale must be a positive integer or null, got {scale!r}.")
    check = record.get("check") or {"kind": "exact"}
    if check.get("kind") not in ("exact", "allclose"):
        raise TaskFormatError(f"task {task_id!r}: check kind must be 'exact' or 'allclose', got {check.get('kind')!r}.")
    candidates = []
    reference_names = {r.name for r in references}
    for i, c in enumerate(record.get("candidates") or []):
        expected = c.get("expected_reference")
        if expected is not None and expected not in reference_names:
            raise TaskFormatError(
                f"task {task_id!r}: candidate {c.get('name', i)!r} expects the level of reference {expected!r}, "
                f"which does not exist; references: {sorted(reference_names)}."
            )
        if not isinstance(c.get("code"), str):
            raise TaskFormatError(f"task {task_id!r}: candidate {c.get('name', i)!r} has no 'code' string.")
        candidates.append(Candidate(str(c.get("name", f"cand{i}")), c["code"], expected, c.get("note", "")))
    return Task(
        task_id=task_id,
        entry_point=entry_point,
        references=references,
        framework=framework,
        pe_input=pe_input,
        generator=generator if pe_input is None else None,
        scale=scale,
        seed=int(record.get("seed", 0)),
        check=dict(check),
        time_limit_s=record.get("time_limit_s"),
        prompt=str(record.get("prompt", "")),
        candidates=tuple(candidates),
        description=str(record.get("description", "")),
        extra={k: v for k, v in record.items() if k not in _KNOWN_FIELDS},
    )


def _read_jsonl(path: str | Path, what: str) -> Iterable[tuple[int, dict]]:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{what} file {path} not found.")
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            raise TaskFormatError(f"{path}:{number}: invalid JSON ({error.msg}); each line must be one object.") from error


def load_tasks(path: str | Path) -> list[Task]:
    """Read tasks from a JSONL file; a bad record raises with its line number."""
    tasks = []
    seen = set()
    for number, record in _read_jsonl(path, "task"):
        try:
            task = task_from_dict(record)
        except TaskFormatError as error:
            raise TaskFormatError(f"{path}:{number}: {error}") from error
        if task.task_id in seen:
            raise TaskFormatError(f"{path}:{number}: task_id {task.task_id!r} appears twice; ids must be unique.")
        seen.add(task.task_id)
        tasks.append(task)
    return tasks


def sample_from_dict(record: dict, index: int, prompts: dict[str, str] | None = None) -> Sample:
    """Build a :class:`Sample` from ``{"task_id", "solution" | "code" | "completion", "sample_id"}``.

    A ``completion`` (the evalplus format) is appended to the task's prompt.
    """
    task_id = record.get("task_id")
    if not isinstance(task_id, str):
        raise TaskFormatError(f"sample {index} has no 'task_id' string; fields present: {sorted(record)}.")
    code = record.get("solution", record.get("code"))
    if code is None and isinstance(record.get("completion"), str):
        code = (prompts or {}).get(task_id, "") + record["completion"]
    if not isinstance(code, str):
        raise TaskFormatError(f"sample {index} for task {task_id!r} has no 'solution' source string.")
    return Sample(str(record.get("sample_id", f"{task_id}#{index}")), task_id, code)


def load_samples(path: str | Path, tasks: Sequence[Task] = ()) -> list[Sample]:
    """Read samples from a JSONL file; samples for unknown tasks are kept and scored as failures later."""
    prompts = {t.task_id: t.prompt for t in tasks}
    samples = []
    for number, record in _read_jsonl(path, "sample"):
        if not isinstance(record, dict):
            raise TaskFormatError(f"{path}:{number}: a sample must be a JSON object.")
        try:
            samples.append(sample_from_dict(record, number - 1, prompts))
        except TaskFormatError as error:
            raise TaskFormatError(f"{path}:{number}: {error}") from error
    return samples


def write_tasks(tasks: Sequence[Task], path: str | Path) -> Path:
    """Write tasks as JSONL in the native format."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(t.to_dict()) + "\n" for t in tasks))
    return path
