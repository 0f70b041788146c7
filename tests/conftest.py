"""Shared test fixtures. The test data lives in ``tests/data`` (see its README) and is
read through ``tests/data_testing.py``: a missing file fails, it is never skipped."""
import os

# The mmdetection reference files reproduce bit for bit with MKL's SSE4.2 code path (the
# one MKL takes on AMD CPUs); on Intel CPUs its AVX paths round float32 exp differently in the
# last bit, which the bit-exact box tests see. Set before torch loads MKL; subprocesses
# inherit it.
os.environ.setdefault('MKL_ENABLE_INSTRUCTIONS', 'SSE4_2')

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from data_testing import fixture_path, load_reference  # noqa: E402

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
