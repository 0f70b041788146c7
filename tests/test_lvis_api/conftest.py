"""Fixtures for lvis_api tests."""
import pytest

from lvis_testing import make_problem


@pytest.fixture
def problem_factory():
    return make_problem
