import numpy as np

from jaxsim.dpe.check import outputs_match


def _seq(*items, kind="list"):
    return {"__seq__": kind, "items": list(items)}


def test_lists_and_tuples_compare_by_items():
    assert outputs_match(_seq(1, 2), (), _seq(1, 2, kind="tuple"), ())
    assert not outputs_match(_seq(1, 2), (), _seq(2, 1), ())
    assert not outputs_match(_seq(1, 2), (), _seq(1, 2, 3), ())


def test_floats_exact_or_allclose():
    assert not outputs_match(1.0, (), 1.0 + 1e-9, ())
    assert outputs_match(1.0, (), 1.0 + 1e-9, (), {"kind": "allclose", "rtol": 1e-6})
    assert not outputs_match(True, (), 1, ())


def test_arrays_by_shape_and_value():
    a = (np.array([1.0, 2.0]),)
    b = (np.array([1.0, 2.0 + 1e-7]),)
    c = (np.array([[1.0, 2.0]]),)
    ref = {"__array__": 0}
    assert not outputs_match(ref, a, ref, b)
    assert outputs_match(ref, a, ref, b, {"kind": "allclose", "rtol": 1e-5})
    assert not outputs_match(ref, a, ref, c, {"kind": "allclose"})
    assert not outputs_match(ref, a, 1.0, ())
