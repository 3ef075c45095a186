"""Comparison of solution outputs in the canonical form the worker writes.

Outputs arrive as JSON data in which arrays are replaced by ``{"__array__": index}``, sequences
by ``{"__seq__": type, "items": [...]}``, sets and dicts by sorted or ordered item lists, and
non-finite floats by ``{"__float__": repr}``. Lists and tuples compare equal when their items
do, because tasks state values, not container types.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["outputs_match"]


def _numbers_match(a: float, b: float, check: dict) -> bool:
    if check.get("kind") == "allclose":
        return math.isclose(a, b, rel_tol=float(check.get("rtol", 1e-5)), abs_tol=float(check.get("atol", 1e-8)))
    return a == b


def _match(a: Any, arrays_a: tuple, b: Any, arrays_b: tuple, check: dict) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        if "__array__" in a or "__array__" in b:
            if "__array__" not in a or "__array__" not in b:
                return False
            x, y = arrays_a[a["__array__"]], arrays_b[b["__array__"]]
            if x.shape != y.shape:
                return False
            if check.get("kind") == "allclose" and (np.issubdtype(x.dtype, np.inexact) or np.issubdtype(y.dtype, np.inexact)):
                return bool(np.allclose(x, y, rtol=float(check.get("rtol", 1e-5)), atol=float(check.get("atol", 1e-8)),
                                        equal_nan=False))
            return bool(np.array_equal(x, y))
        if "__seq__" in a and "__seq__" in b:
            return len(a["items"]) == len(b["items"]) and all(
                _match(u, arrays_a, v, arrays_b, check) for u, v in zip(a["items"], b["items"]))
        if set(a) != set(b):
            return False
        return all(_match(a[k], arrays_a, b[k], arrays_b, check) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_match(u, arrays_a, v, arrays_b, check) for u, v in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return _numbers_match(float(a), float(b), check) if isinstance(a, float) or isinstance(b, float) else a == b
    return a == b


def outputs_match(a: Any, arrays_a: tuple, b: Any, arrays_b: tuple, check: dict | None = None) -> bool:
    """Return whether two canonical outputs are equal under ``check`` (exact or allclose)."""
    return _match(a, arrays_a, b, arrays_b, check or {"kind": "exact"})
