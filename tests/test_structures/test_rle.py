"""Our RLE encoder against pycocotools, byte for byte, and window encoding."""
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmdet.structures.rle import encode_rle, encode_window_rle


def reference(masks: np.ndarray) -> list:
    if len(masks) == 0:
        return []
    rles = mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))
    return [dict(size=list(r['size']), counts=r['counts'].decode('ascii')) for r in rles]


def random_masks(rng, num, height, width):
    masks = np.zeros((num, height, width), dtype=bool)
    for m in masks:
        kind = rng.integers(0, 5)
        if kind == 0:
            m[:] = rng.random((height, width)) < 0.5
        elif kind == 1:  # a filled rectangle anywhere, touching borders at times
            y, x = rng.integers(0, height), rng.integers(0, width)
            m[y:y + rng.integers(1, height + 1), x:x + rng.integers(1, width + 1)] = True
        elif kind == 2:
            m[:] = True
        elif kind == 3:  # one pixel
            m[rng.integers(0, height), rng.integers(0, width)] = True
    return masks


@pytest.mark.parametrize('as_tensor', [False, True])
def test_encode_rle_equals_pycocotools(as_tensor):
    rng = np.random.default_rng(0)
    for _ in range(60):
        height, width = (int(v) for v in rng.integers(1, 30, 2))
        masks = random_masks(rng, int(rng.integers(0, 6)), height, width)
        got = encode_rle(torch.from_numpy(masks) if as_tensor else masks)
        assert got == reference(masks)


def test_large_counts_and_corners():
    masks = np.zeros((4, 700, 900), dtype=bool)
    masks[1, 0, 0] = True
    masks[2, -1, -1] = True
    masks[3, 100:600, 2:899] = True
    assert encode_rle(masks) == reference(masks)


def test_encode_window_rle_places_the_window():
    rng = np.random.default_rng(1)
    for _ in range(40):
        height, width = (int(v) for v in rng.integers(5, 40, 2))
        h, w = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
        row, col = int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1))
        window = random_masks(rng, 1, h, w)[0]
        full = np.zeros((1, height, width), dtype=bool)
        full[0, row:row + h, col:col + w] = window
        assert encode_window_rle(window, (row, col), height, width) == reference(full)[0]


def test_bad_shape_is_named():
    with pytest.raises(ValueError, match=r'\(N, H, W\)'):
        encode_rle(np.zeros((3, 4), dtype=bool))
