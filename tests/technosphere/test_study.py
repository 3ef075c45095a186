"""The technosphere study's registration; the full run is exercised by `jaxsim run all --quick`."""

from jaxsim.studies import get_study


def test_study_is_registered():
    study = get_study("technosphere")
    assert study.module == "jaxsim.studies.technosphere"
    assert "Kardashev" in study.description
