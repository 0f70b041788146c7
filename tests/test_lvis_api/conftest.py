"""Fixtures for lvis_api tests."""
import numpy as np
import pytest

from lvis_testing import make_problem


@pytest.fixture(scope='session')
def official():
    """The official ``lvis`` 0.5.3 package, with the ``np.float`` shim it needs."""
    lvis = pytest.importorskip('lvis')
    added = not hasattr(np, 'float')
    if added:
        np.float = float
    yield lvis
    if added:
        del np.float


@pytest.fixture
def problem_factory():
    return make_problem
