"""Shared test fixtures: paths to the data in ../shared beside the repository."""
from pathlib import Path

import numpy as np
import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / 'shared' / 'data'

# Tests run on 2 cores next to other work; keep torch from oversubscribing them.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture(scope='session')
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f'shared data folder not found at {SHARED_DATA}')
    return SHARED_DATA


@pytest.fixture(scope='session')
def mmdet_reference(shared_data):
    path = shared_data / 'mmdet_reference' / 'mask_rcnn_r18c16_fpn_small.pt'
    if not path.is_file():
        pytest.skip(f'mmdetection reference fixture not found at {path}')
    return torch.load(path, weights_only=True)


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
