"""Shared test fixtures. The test data lives in ``tests/data`` (see its README) and is
read through ``tests/data_testing.py``: a missing file fails, it is never skipped."""
import numpy as np
import pytest
import torch

from data_testing import fixture_path, load_reference

# Tests run on 2 cores next to other work; keep torch from oversubscribing them.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope='session')
def test_data():
    """``test_data(name)`` -> the path of ``tests/data/<name>``, failing if it is missing."""
    return fixture_path


@pytest.fixture(scope='session')
def mmdet_reference():
    """The mmdetection 3.3 Mask R-CNN reference (fixture A), loaded once per session;
    ``detections[i]['masks']`` are COCO RLEs (``data_testing.rle_to_masks``)."""
    return load_reference('mask_rcnn_r18c16_fpn_small.pt')


@pytest.fixture(scope='session')
def official():
    """The official ``lvis`` 0.5.3 package (a test-time reference only), with the
    ``np.float`` it needs on numpy >= 1.24."""
    lvis = pytest.importorskip('lvis')
    added = not hasattr(np, 'float')
    if added:
        np.float = float
    yield lvis
    if added:
        del np.float
