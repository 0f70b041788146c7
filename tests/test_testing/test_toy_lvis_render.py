"""Drawing one toy image (mmdet/testing/toy_lvis/{shapes,render}.py)."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmdet.testing.toy_lvis.classes import COLOURS, SHAPES, TEXTURE_RGB, TEXTURES
from mmdet.testing.toy_lvis.render import render_image
from mmdet.testing.toy_lvis.shapes import shape_polygons

PARTS = [('red', 'solid', 'star'), ('blue', 'striped', 'ring'),
         ('yellow', 'dotted', 'crescent'), ('green', 'checkered', 'cross')]


@pytest.mark.parametrize('shape', SHAPES)
def test_shapes_fit_their_size(shape):
    polys = shape_polygons(shape, 50, 40, 20)
    pts = np.concatenate(polys)
    assert all(p.shape[1] == 2 and len(p) >= 3 for p in polys)
    assert (np.abs(pts - [50, 40]) <= 10 + 1e-9).all()
    assert (pts.max(0) - pts.min(0) > 10).all()


def test_masks_agree_with_boxes_and_pixels():
    img, drawn = render_image(np.random.default_rng(0), 72, 88, PARTS)
    assert img.shape == (72, 88, 3) and img.dtype == np.uint8
    masks = [mask_utils.decode(rle).astype(bool) for _, rle in drawn]
    assert np.sum(masks, axis=0).max() == 1  # no overlaps
    for (colour, _, _), (polys, rle), mask in zip(PARTS, drawn, masks):
        ys, xs = np.nonzero(mask)
        tight = [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
        assert np.allclose(mask_utils.toBbox(rle), tight)
        assert mask_utils.area(rle) == mask.sum() > 0
        pts = np.concatenate([np.reshape(p, (-1, 2)) for p in polys])
        assert (np.abs(pts.min(0) - tight[:2]) <= 1.5).all()
        assert (np.abs(pts.max(0) - np.add(tight[:2], tight[2:])) <= 1.5).all()
        # inside the mask: the class colour or the texture colour (plus noise)
        pixels = img[mask].astype(float)
        dist = np.minimum(np.linalg.norm(pixels - COLOURS[colour], axis=1),
                          np.linalg.norm(pixels - TEXTURE_RGB, axis=1))
        assert (dist < 60).mean() > 0.98


def test_every_texture_and_determinism():
    parts = [('white', texture, 'square') for texture in TEXTURES]
    img, drawn = render_image(np.random.default_rng(5), 96, 96, parts, min_size=30)
    dark = [(img[mask_utils.decode(rle).astype(bool)].mean(1) < 60).mean()
            for _, rle in drawn]
    assert dark[0] == 0 and all(0.1 < d < 0.7 for d in dark[1:])
    again, _ = render_image(np.random.default_rng(5), 96, 96, parts, min_size=30)
    assert np.array_equal(img, again)


def test_no_room():
    with pytest.raises(RuntimeError, match='no room'):
        render_image(np.random.default_rng(0), 24, 24, PARTS * 3)
