"""Shared fixtures: float64 for gradient checks and runs on several forced host devices."""

from __future__ import annotations

import os

import jax
import pytest

os.environ.setdefault("JAXSIM_PROGRESS", "0")


@pytest.fixture
def x64():
    """Enable float64 for the duration of one test."""
    with jax.enable_x64(True):
        yield
