"""The training pipeline's fast paths give exactly the plain path's arrays.

The fast paths: masks resized one by one straight into the result (not through
128-channel chunks), flips by OpenCV (masks as one (N * H, W) stack), the image packed by
OpenCV's split into planes and the masks without a copy when no instance is ignored. The
plain path is mmdetection 3.3's numerics written out: each instance's polygons decoded at
full size, the image and each mask resized by mmcv (bilinear, nearest), flipped by numpy,
packed by a transposing copy and boolean indexing. Inputs are generated LVIS-like polygons
(``mmdet.testing.lvis_like``: 8-1000 vertices, 1-4 parts, 6 px to most of the image) on
images of many sizes, up to hundreds of instances (more than 128 masks)."""
import numpy as np
import pytest
from mmcv.image import imflip, imrescale, imresize
from mmengine.dataset import Compose

from mmdet.datasets.transforms import (LoadAnnotations, PackDetInputs, RandomFlip, Resize,
                                       segmentation_to_mask)
from mmdet.datasets.transforms.formatting import channels_first
from mmdet.datasets.transforms.transforms import _into, flip_array, flip_masks, resize_masks
from mmdet.testing.lvis_like import instance_polygons, textured_image


def _results(h, w, num, crowded, seed, ignore_every=0):
    rng = np.random.default_rng(seed)
    instances = []
    for k in range(num):
        polys = instance_polygons(rng, h, w, crowded)
        xy = np.concatenate([np.reshape(p, (-1, 2)) for p in polys])
        instances.append(dict(bbox=[*xy.min(0), *xy.max(0)], bbox_label=k % 7, mask=polys,
                              ignore_flag=int(bool(ignore_every) and k % ignore_every == 1)))
    img = textured_image(rng, h, w)
    return dict(img=img, img_shape=(h, w), ori_shape=(h, w), instances=instances)


def _plain(results, scale, direction):
    """mmdetection's numerics, one mask at a time."""
    h, w = results['ori_shape']
    masks = [segmentation_to_mask(i['mask'], h, w) for i in results['instances']]
    img = imrescale(results['img'], scale, interpolation='bilinear')
    new_h, new_w = img.shape[:2]
    masks = [imresize(m, (new_w, new_h), interpolation='nearest') for m in masks]
    if direction:
        img = imflip(img, direction)
        masks = [imflip(m, direction) for m in masks]
    keep = ~np.array([bool(i['ignore_flag']) for i in results['instances']], bool)
    masks = np.stack(masks)[keep] if masks else np.zeros((0, new_h, new_w), np.uint8)
    return np.ascontiguousarray(img.transpose(2, 0, 1)), masks


CASES = [  # h, w, instances, crowded, scale, flip, ignore every k-th
    (480, 640, 12, False, (1333, 800), 'horizontal', 0),
    (640, 427, 9, False, (1333, 800), 'vertical', 0),
    (375, 500, 0, False, (1333, 800), 'horizontal', 0),
    (427, 640, 1, False, (1333, 800), None, 0),
    (333, 500, 140, True, (400, 240), 'horizontal', 0),   # > 128 masks
    (240, 320, 300, True, (500, 300), 'horizontal', 5),   # hundreds, some ignored
    (300, 200, 260, True, (300, 500), None, 3),
    (97, 61, 20, False, (40, 40), 'horizontal', 4),       # shrunk
    (13, 7, 3, False, (1333, 800), 'vertical', 0),        # a tiny image, enlarged 60x
]


@pytest.mark.parametrize('h,w,num,crowded,scale,direction,ignore_every', CASES)
def test_pipeline_equals_the_plain_path(h, w, num, crowded, scale, direction, ignore_every):
    results = _results(h, w, num, crowded, seed=h * w + num, ignore_every=ignore_every)
    pipeline = Compose([LoadAnnotations(with_bbox=True, with_mask=True),
                        Resize(scale=scale, keep_ratio=True),
                        RandomFlip(prob=1.0 if direction else 0.0,
                                   direction=direction or 'horizontal'),
                        PackDetInputs()])
    packed = pipeline(dict(results, instances=[dict(i) for i in results['instances']]))
    inputs, masks = _plain(results, scale, direction)
    assert packed['inputs'].is_contiguous() and packed['inputs'].dtype.is_floating_point is False
    np.testing.assert_array_equal(packed['inputs'].numpy(), inputs)
    ours = packed['data_samples'].gt_instances.masks
    assert ours.is_contiguous() and ours.numpy().dtype == np.uint8
    assert ours.shape == masks.shape
    np.testing.assert_array_equal(ours.numpy(), masks)
    assert len(packed['data_samples'].ignored_instances) == len(results['instances']) - len(masks)


@pytest.mark.parametrize('num', [0, 1, 129, 300])
def test_resize_masks_equals_mmcv_per_mask_on_any_layout(num):
    rng = np.random.default_rng(num)
    masks = (rng.random((num, 31, 23)) > 0.6).astype(np.uint8)
    for layout in (masks, np.asfortranarray(masks), masks[:, ::-1, ::2]):
        h, w = layout.shape[1:]
        for new_w, new_h in [(57, 40), (11, 9), (w, h), (1, 1)]:
            out = resize_masks(layout, new_w, new_h)
            assert out.shape == (num, new_h, new_w) and out.flags.c_contiguous
            for k in range(num):
                np.testing.assert_array_equal(
                    out[k], imresize(layout[k], (new_w, new_h), interpolation='nearest'))


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_flips_equal_numpys(direction):
    rng = np.random.default_rng(0)
    axis = 1 if direction == 'horizontal' else 0
    arrays = [rng.integers(0, 256, (9, 14, 3), dtype=np.uint8),     # image: OpenCV
              rng.random((9, 14, 3), dtype=np.float32),               # float image
              rng.integers(0, 256, (9, 14), dtype=np.uint8),         # semantic map
              rng.integers(0, 9, (9, 14, 6)).astype(np.uint8),        # > 4 channels: numpy
              rng.random((9, 14)) > 0.5,                              # bool: numpy
              rng.integers(0, 9, (9, 14), dtype=np.int64),            # int64: numpy
              np.zeros((0, 14, 3), np.uint8),
              np.asfortranarray(rng.integers(0, 256, (9, 14), dtype=np.uint8))]
    for a in arrays:
        out = flip_array(a, direction)
        assert out.dtype == a.dtype and out.flags.c_contiguous
        np.testing.assert_array_equal(out, np.flip(a, axis))
    for n in (0, 1, 130):
        masks = rng.integers(0, 2, (n, 9, 14), dtype=np.uint8)
        for layout in (masks, masks.transpose(0, 2, 1).copy().transpose(0, 2, 1)):
            out = flip_masks(layout, direction)
            assert out.flags.c_contiguous
            np.testing.assert_array_equal(out, np.flip(masks, axis + 1))


def test_channels_first_equals_transposing_copy():
    rng = np.random.default_rng(1)
    for img in [rng.integers(0, 256, (7, 5, c), dtype=np.uint8) for c in (1, 2, 3, 4, 5)] + [
            rng.random((7, 5, 3), dtype=np.float32), rng.integers(0, 256, (7, 5), np.uint8),
            np.flip(rng.integers(0, 256, (7, 5, 3), dtype=np.uint8), 1),
            np.zeros((0, 5, 3), np.uint8)]:
        out = channels_first(img)
        ref = img[..., None] if img.ndim == 2 else img
        assert out.flags.c_contiguous and out.dtype == img.dtype
        np.testing.assert_array_equal(out, ref.transpose(2, 0, 1))


def test_a_result_opencv_put_elsewhere_is_copied_into_place():
    dst = np.zeros((2, 3), np.uint8)
    _into(dst, np.ones((2, 3), np.uint8))
    assert dst.sum() == 6
    view = dst[0]
    _into(view, view)  # already there: untouched
    assert dst.sum() == 6
