"""The test data in ``tests/data`` (see its README): the one way tests reach it.

A missing file fails the test that needs it, naming the path; nothing is skipped.
"""
from pathlib import Path
from typing import List, Sequence

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch

TEST_DATA = Path(__file__).resolve().parent / 'data'
REFERENCE_DIR = 'mmdet_reference'


def fixture_path(name: str, root: Path = TEST_DATA) -> Path:
    """``tests/data/<name>`` (or ``root/<name>``); fails the calling test if the file is
    not there."""
    path = Path(root) / name
    if not path.is_file():
        hint = (' (see tests/data/README.md; regenerate with '
                '`python tests/data/make_fixtures.py`)' if Path(root) == TEST_DATA else '')
        pytest.fail(f'test data file missing: {path}{hint}', pytrace=False)
    return path


def package_data_path(name: str) -> Path:
    """A file shipped with the package in ``mmdet/testing/data``; fails if missing."""
    import mmdet.testing
    return fixture_path(name, Path(mmdet.testing.__file__).resolve().parent / 'data')


def load_reference(name: str, root: Path = TEST_DATA) -> dict:
    """A pruned mmdetection 3.3 reference file, e.g. ``'mask_rcnn_r18c16_fpn_small.pt'``,
    loaded with ``weights_only=True``. Where the file stores only the weights that differ
    from another reference file (``state_dict_from``), the full ``state_dict`` is put
    together here. Masks stay COCO RLE: decode them with :func:`rle_to_masks`."""
    ref = torch.load(fixture_path(f'{REFERENCE_DIR}/{name}', root), weights_only=True)
    shared = ref.pop('state_dict_from', None)
    if shared is not None:
        other = load_reference(shared['file'], root)['state_dict']
        own = ref['state_dict']
        ref['state_dict'] = {k: own[k] if k in own else other[k] for k in shared['keys']}
    return ref


def rle_to_masks(rles: List[dict], shape: Sequence[int]) -> torch.Tensor:
    """COCO RLEs (``counts`` as ``str`` or ``bytes``) of one image of size ``shape`` =
    (H, W) -> an (N, H, W) bool tensor."""
    height, width = (int(s) for s in shape)
    if not rles:
        return torch.zeros((0, height, width), dtype=torch.bool)
    encoded = []
    for rle in rles:
        assert tuple(rle['size']) == (height, width), (rle['size'], shape)
        counts = rle['counts']
        encoded.append({'size': [height, width],
                        'counts': counts.encode('ascii') if isinstance(counts, str) else counts})
    masks = mask_utils.decode(encoded)  # (H, W, N) uint8
    return torch.from_numpy(np.ascontiguousarray(masks.transpose(2, 0, 1))).bool()
