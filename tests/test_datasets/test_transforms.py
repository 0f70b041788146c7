"""Tests of the data pipeline transforms (mmdet/datasets/transforms).

Expected values are hand-computed or come from mmcv (``mmcv.image``), whose resize rules
the transforms follow.
"""
import random

import cv2
import numpy as np
import pytest
import torch
from mmcv.image import imflip, imrescale, imresize
from mmcv.image import rescale_size as mmcv_rescale_size
from pycocotools import mask as mask_utils

from mmdet.datasets.transforms import (LoadAnnotations, LoadImageFromFile, PackDetInputs,
                                       RandomChoiceResize, RandomResize, RandomFlip, Resize,
                                       rescale_size, segmentation_to_mask)
from mmdet.structures import DetDataSample

SHAPES_WH = [(64, 64), (640, 480), (480, 640), (1000, 300), (300, 1000), (333, 1999),
             (1333, 800), (800, 1333), (1, 1), (7, 13), (500, 375), (427, 640)]
SCALES = [(1333, 800), (800, 1333), (200, 120), (1333, 640), (96, 96)]


def _image(h, w, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _rect_mask(h, w, x0, y0, x1, y1):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


# ------------------------------------------------------------------------- Resize
@pytest.mark.parametrize('scale', SCALES)
def test_rescale_size_equals_mmcv(scale):
    for w, h in SHAPES_WH:
        assert rescale_size(w, h, scale) == mmcv_rescale_size((w, h), scale), (w, h, scale)


def test_rescale_size_hand_values():
    # 640x480 into (1333, 800): factor min(1333/640, 800/480) = 1.6667 -> 1067x800
    assert rescale_size(640, 480, (1333, 800)) == (1067, 800)
    # 1000x300 is long-edge bound: factor 1333/1000 -> 1333x400 (399.9 + .5 -> 400)
    assert rescale_size(1000, 300, (1333, 800)) == (1333, 400)
    # the order of the two edges of the scale does not matter
    assert rescale_size(480, 640, (800, 1333)) == rescale_size(480, 640, (1333, 800)) \
        == (800, 1067)


@pytest.mark.parametrize('w,h', [(64, 64), (97, 61), (61, 97), (200, 150)])
@pytest.mark.parametrize('scale', [(1333, 800), (150, 90), (40, 40)])
def test_resize_keep_ratio_matches_mmcv_imrescale(w, h, scale):
    img = _image(h, w)
    out = Resize(scale=scale, keep_ratio=True)(dict(img=img.copy()))
    ref = imrescale(img, scale, interpolation='bilinear')
    assert out['img'].shape == ref.shape
    assert out['img_shape'] == ref.shape[:2]
    np.testing.assert_array_equal(out['img'], ref)
    new_h, new_w = ref.shape[:2]
    assert out['scale_factor'] == pytest.approx((new_w / w, new_h / h))
    assert out['keep_ratio'] is True


def test_resize_without_keep_ratio_uses_scale_as_wh():
    out = Resize(scale=(50, 30), keep_ratio=False)(dict(img=_image(20, 40)))
    assert out['img'].shape == (30, 50, 3)
    assert out['img_shape'] == (30, 50)
    assert out['scale_factor'] == pytest.approx((50 / 40, 30 / 20))


def test_resize_scales_and_clips_boxes():
    h, w = 40, 60  # -> (120, 80) keep ratio: factor min(120/60, 80/40) = 2 -> 120x80
    boxes = np.array([[0, 0, 10, 20],
                      [5.5, 2.25, 30, 39],
                      [50, 30, 70, 45],      # sticks out right and bottom: clipped
                      [-4, -2, 8, 6]], np.float32)  # sticks out left and top: clipped
    out = Resize(scale=(120, 80))(dict(img=_image(h, w), gt_bboxes=boxes.copy()))
    assert out['img'].shape[:2] == (80, 120)
    assert out['scale_factor'] == (2.0, 2.0)
    expected = np.array([[0, 0, 20, 40],
                         [11, 4.5, 60, 78],
                         [100, 60, 120, 80],
                         [0, 0, 16, 12]], np.float32)
    np.testing.assert_allclose(out['gt_bboxes'], expected)
    assert out['gt_bboxes'].dtype == np.float32


def test_resize_boxes_by_anisotropic_scale_factor():
    boxes = np.array([[3, 4, 13, 24]], np.float32)
    out = Resize(scale=(30, 50), keep_ratio=False)(
        dict(img=_image(20, 10), gt_bboxes=boxes.copy()))
    sx, sy = out['scale_factor']
    assert (sx, sy) == (3.0, 2.5)
    np.testing.assert_allclose(out['gt_bboxes'], [[9, 10, 30, 50]])  # x2 39 clipped to 30


def test_resize_without_clipping_keeps_boxes_outside():
    boxes = np.array([[50, 30, 70, 45]], np.float32)
    out = Resize(scale=(120, 80), clip_object_border=False)(
        dict(img=_image(40, 60), gt_bboxes=boxes.copy()))
    np.testing.assert_allclose(out['gt_bboxes'], [[100, 60, 140, 90]])


@pytest.mark.parametrize('num', [0, 1, 3, 600])  # 600 > OpenCV's 512-channel limit
def test_resize_masks_nearest_like_mmcv(num):
    h, w = 13, 17
    rng = np.random.default_rng(num)
    masks = (rng.random((num, h, w)) > 0.5).astype(np.uint8)
    out = Resize(scale=(40, 30))(dict(img=_image(h, w), gt_masks=masks.copy()))
    new_h, new_w = out['img'].shape[:2]
    assert out['gt_masks'].shape == (num, new_h, new_w)
    assert out['gt_masks'].dtype == np.uint8
    for i in range(num):
        ref = imresize(masks[i], (new_w, new_h), interpolation='nearest')
        np.testing.assert_array_equal(out['gt_masks'][i], ref)


def test_resize_rectangle_mask_follows_its_box():
    h, w = 20, 30
    mask = _rect_mask(h, w, 6, 4, 16, 12)[None]          # box [6, 4, 16, 12]
    out = Resize(scale=(60, 40))(dict(img=_image(h, w), gt_masks=mask,
                                      gt_bboxes=np.array([[6, 4, 16, 12]], np.float32)))
    ys, xs = np.nonzero(out['gt_masks'][0])
    assert [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1] == [12, 8, 32, 24]
    np.testing.assert_allclose(out['gt_bboxes'], [[12, 8, 32, 24]])


def test_random_choice_resize_picks_one_of_the_scales():
    scales = [(100, 60), (120, 72), (140, 84)]
    t = RandomChoiceResize(scales=scales)
    random.seed(0)
    seen = set()
    for _ in range(30):
        out = t(dict(img=_image(40, 50)))
        seen.add(out['img'].shape[:2])
    expected = {rescale_size(50, 40, s)[::-1] for s in scales}
    assert seen == expected


def test_random_resize_draws_the_short_side_within_the_range():
    t = RandomResize(scale=[(1600, 400), (1600, 1400)])
    random.seed(0)
    shorts = set()
    for _ in range(60):
        out = t(dict(img=_image(30, 60)))  # 2:1: the short side limits (up to 800 x 1600)
        h, w = out['img'].shape[:2]
        assert 400 <= h <= 800 and abs(w - 2 * h) <= 1
        shorts.add(h)
    assert len(shorts) > 20  # drawn over the range, not a few fixed scales
    with pytest.raises(ValueError, match='two'):
        RandomResize(scale=[(1600, 400)])


# --------------------------------------------------------------------------- Flip
def test_flip_horizontal_boxes_masks_image():
    h, w = 8, 10
    img = _image(h, w)
    boxes = np.array([[1, 2, 4, 7], [0, 0, 10, 8]], np.float32)
    masks = np.stack([_rect_mask(h, w, 1, 2, 4, 7), _rect_mask(h, w, 0, 0, 10, 8)])
    out = RandomFlip(prob=1.0)(dict(img=img.copy(), gt_bboxes=boxes.copy(),
                                    gt_masks=masks.copy()))
    assert out['flip'] is True and out['flip_direction'] == 'horizontal'
    np.testing.assert_array_equal(out['gt_bboxes'], [[6, 2, 9, 7], [0, 0, 10, 8]])
    np.testing.assert_array_equal(out['gt_masks'][0], _rect_mask(h, w, 6, 2, 9, 7))
    np.testing.assert_array_equal(out['gt_masks'][1], masks[1])
    np.testing.assert_array_equal(out['img'], imflip(img, 'horizontal'))
    np.testing.assert_array_equal(out['img'][:, 0], img[:, -1])


def test_flip_vertical_boxes_masks_image():
    h, w = 8, 10
    img = _image(h, w)
    boxes = np.array([[1, 2, 4, 7]], np.float32)
    masks = _rect_mask(h, w, 1, 2, 4, 7)[None]
    out = RandomFlip(prob=1.0, direction='vertical')(
        dict(img=img.copy(), gt_bboxes=boxes.copy(), gt_masks=masks.copy()))
    assert out['flip'] is True and out['flip_direction'] == 'vertical'
    np.testing.assert_array_equal(out['gt_bboxes'], [[1, 1, 4, 6]])
    np.testing.assert_array_equal(out['gt_masks'][0], _rect_mask(h, w, 1, 1, 4, 6))
    np.testing.assert_array_equal(out['img'], imflip(img, 'vertical'))


def test_flip_twice_is_identity_and_prob_zero_never_flips():
    h, w = 9, 11
    img = _image(h, w)
    boxes = np.array([[1.5, 2, 4, 7.25]], np.float32)
    masks = _rect_mask(h, w, 2, 3, 5, 9)[None]
    res = dict(img=img.copy(), gt_bboxes=boxes.copy(), gt_masks=masks.copy())
    flip = RandomFlip(prob=1.0)
    res = flip(flip(res))
    np.testing.assert_array_equal(res['img'], img)
    np.testing.assert_array_equal(res['gt_bboxes'], boxes)
    np.testing.assert_array_equal(res['gt_masks'], masks)
    out = RandomFlip(prob=0.0)(dict(img=img.copy(), gt_bboxes=boxes.copy()))
    assert out['flip'] is False and out['flip_direction'] is None
    np.testing.assert_array_equal(out['gt_bboxes'], boxes)
    with pytest.raises(ValueError, match='direction'):
        RandomFlip(direction='diagonal')


# -------------------------------------------------------------------------- masks
def test_polygon_to_mask_hand_values():
    expected = np.zeros((6, 6), np.uint8)
    expected[1:3, 1:4] = 1                      # rectangle (1, 1)-(4, 3)
    m = segmentation_to_mask([[1, 1, 4, 1, 4, 3, 1, 3]], 6, 6)
    assert m.dtype == np.uint8 and m.shape == (6, 6)
    np.testing.assert_array_equal(m, expected)
    # several polygons are merged; a polygon with fewer than 3 points is dropped
    expected[4:6, 0:2] = 1
    m = segmentation_to_mask([[1, 1, 4, 1, 4, 3, 1, 3], [0, 4, 2, 4, 2, 6, 0, 6],
                              [0, 0, 1, 1]], 6, 6)
    np.testing.assert_array_equal(m, expected)
    # the first polygon having 4 numbers must not turn the list into boxes
    m = segmentation_to_mask([[0, 0, 5, 5], [1, 1, 4, 1, 4, 3, 1, 3]], 6, 6)
    np.testing.assert_array_equal(m[:4], expected[:4])
    assert m[4:].sum() == 0
    assert segmentation_to_mask([], 4, 5).shape == (4, 5)
    assert segmentation_to_mask([[1, 2, 3, 4]], 4, 5).sum() == 0


def test_non_square_polygon_mask_is_h_by_w():
    m = segmentation_to_mask([[2, 1, 9, 1, 9, 3, 2, 3]], 4, 10)
    assert m.shape == (4, 10)
    ys, xs = np.nonzero(m)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (2, 8, 1, 2)


def test_uncompressed_rle_to_mask_hand_values():
    # 3 x 4, column-major runs: 1 zero, 2 ones, 4 zeros, 3 ones, 2 zeros
    rle = {'size': [3, 4], 'counts': [1, 2, 4, 3, 2]}
    expected = np.array([[0, 0, 0, 1],
                         [1, 0, 1, 0],
                         [1, 0, 1, 0]], np.uint8)
    m = segmentation_to_mask(rle, 3, 4)
    assert m.dtype == np.uint8
    np.testing.assert_array_equal(m, expected)


@pytest.mark.parametrize('as_str', [True, False])
def test_compressed_rle_to_mask(as_str):
    expected = np.zeros((7, 9), np.uint8)
    expected[2:5, 1:8] = 1
    expected[6, 0] = 1
    rle = mask_utils.encode(np.asfortranarray(expected))
    if as_str:  # as read from JSON
        rle = {'size': list(rle['size']), 'counts': rle['counts'].decode('ascii')}
    np.testing.assert_array_equal(segmentation_to_mask(rle, 7, 9), expected)


def test_unsupported_segmentation_raises():
    with pytest.raises(ValueError, match='unsupported'):
        segmentation_to_mask(None, 4, 4)


# ---------------------------------------------------------------- loading/packing
def test_load_annotations_arrays():
    poly = [[1, 1, 4, 1, 4, 3, 1, 3]]
    rle = mask_utils.encode(np.asfortranarray(_rect_mask(6, 8, 5, 0, 8, 2)))
    rle['counts'] = rle['counts'].decode()
    results = dict(height=6, width=8, instances=[
        dict(bbox=[1, 1, 4, 3], bbox_label=3, ignore_flag=0, mask=poly),
        dict(bbox=[5, 0, 8, 2], bbox_label=0, ignore_flag=1, mask=rle)])
    out = LoadAnnotations(with_mask=True)(results)
    np.testing.assert_array_equal(out['gt_bboxes'], [[1, 1, 4, 3], [5, 0, 8, 2]])
    assert out['gt_bboxes'].dtype == np.float32
    assert out['gt_bboxes_labels'].tolist() == [3, 0]
    assert out['gt_bboxes_labels'].dtype == np.int64
    assert out['gt_ignore_flags'].tolist() == [False, True]
    assert out['gt_masks'].shape == (2, 6, 8) and out['gt_masks'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_masks'][0], _rect_mask(6, 8, 1, 1, 4, 3))
    np.testing.assert_array_equal(out['gt_masks'][1], _rect_mask(6, 8, 5, 0, 8, 2))
    # the decoded image's size wins over the record's
    out = LoadAnnotations(with_mask=True)(dict(ori_shape=(5, 7), height=6, width=8,
                                              instances=[]))
    assert out['gt_bboxes'].shape == (0, 4)
    assert out['gt_bboxes_labels'].shape == (0,)
    assert out['gt_masks'].shape == (0, 5, 7)


def test_load_image_from_file(tmp_path):
    img = _image(12, 20)
    path = tmp_path / 'x.png'
    cv2.imwrite(str(path), img)
    out = LoadImageFromFile()(dict(img_path=str(path), img_id=3))
    np.testing.assert_array_equal(out['img'], img)          # BGR, as written
    assert out['img_shape'] == out['ori_shape'] == (12, 20)
    out = LoadImageFromFile(to_float32=True)(dict(img_path=str(path), img_id=3))
    assert out['img'].dtype == np.float32
    with pytest.raises(FileNotFoundError, match=r'nope\.jpg.*image id 7'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'nope.jpg'), img_id=7))
    (tmp_path / 'bad.jpg').write_bytes(b'not an image at all')
    with pytest.raises(ValueError, match=r'bad\.jpg.*image id 8'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'bad.jpg'), img_id=8))
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(ValueError, match=r'empty\.jpg.*image id 9'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'empty.jpg'), img_id=9))


def test_load_image_is_bgr(tmp_path):
    image = pytest.importorskip('PIL.Image')
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 255                       # red, written by PIL as RGB
    rgb[1, 2] = (10, 20, 30)
    image.fromarray(rgb).save(tmp_path / 'red.png')
    img = LoadImageFromFile()(dict(img_path=str(tmp_path / 'red.png'), img_id=1))['img']
    assert img.shape == (4, 5, 3) and img.dtype == np.uint8
    assert img[0, 0].tolist() == [0, 0, 255] and img[1, 2].tolist() == [30, 20, 10]


def test_pack_det_inputs_splits_ignored_instances():
    img = _image(6, 8)
    masks = np.stack([_rect_mask(6, 8, 0, 0, 2, 2), _rect_mask(6, 8, 3, 3, 5, 5),
                      _rect_mask(6, 8, 6, 1, 8, 4)])
    results = dict(img=img, img_id=5, img_path='a.jpg', ori_shape=(6, 8), img_shape=(6, 8),
                   scale_factor=(1.0, 1.0), flip=False, flip_direction=None,
                   gt_bboxes=np.array([[0, 0, 2, 2], [3, 3, 5, 5], [6, 1, 8, 4]], np.float32),
                   gt_bboxes_labels=np.array([4, 1, 2], np.int64),
                   gt_ignore_flags=np.array([False, True, False]), gt_masks=masks)
    out = PackDetInputs()(results)
    inputs, sample = out['inputs'], out['data_samples']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 6, 8)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(), img.transpose(2, 0, 1))
    assert isinstance(sample, DetDataSample)
    gt, ign = sample.gt_instances, sample.ignored_instances
    assert gt.bboxes.tolist() == [[0, 0, 2, 2], [6, 1, 8, 4]]
    assert gt.labels.tolist() == [4, 2]
    np.testing.assert_array_equal(gt.masks.numpy(), masks[[0, 2]])
    assert ign.bboxes.tolist() == [[3, 3, 5, 5]] and ign.labels.tolist() == [1]
    assert sample.img_id == 5 and sample.img_shape == (6, 8) and sample.flip is False
    assert sample.scale_factor == (1.0, 1.0)


def test_pack_det_inputs_without_annotations():
    out = PackDetInputs()(dict(img=_image(4, 5), img_id=1, ori_shape=(4, 5)))
    assert out['inputs'].shape == (3, 4, 5)
    assert 'gt_instances' not in out['data_samples']
    assert out['data_samples'].img_id == 1
