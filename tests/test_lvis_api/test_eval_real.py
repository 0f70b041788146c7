"""LVISEval against the official package on real LVIS v0.5 val annotations (100 images:
real polygons, negative and not-exhaustive lists) with generated detections."""
import copy
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from lvis_api import LVIS, LVISEval

from lvis_testing import assert_same_evaluation, run_official, write_json

VAL_100 = 'lvis_v0.5_val_100.json'


@pytest.fixture(scope='module')
def val_100(test_data):
    path = test_data(VAL_100)
    return path, json.loads(path.read_text())


def _jittered_polygons(rng, segm, dx, dy, scale, cx, cy):
    return [[round(cx + (v - cx) * scale + dx, 2) if k % 2 == 0 else
             round(cy + (v - cy) * scale + dy, 2) for k, v in enumerate(poly)] for poly in segm]


def make_detections(gt: dict, iou_type: str, seed: int = 0) -> list:
    """Jittered ground truth (box, or polygon mask) plus random boxes/masks of image,
    negative and other categories; scores rounded to 2 decimals (ties)."""
    rng = np.random.default_rng(seed)
    imgs = {img['id']: img for img in gt['images']}
    cat_ids = [c['id'] for c in gt['categories']]
    dets = []

    def add(img, cat, box, polys):
        det = {'image_id': img['id'], 'category_id': int(cat),
               'score': round(float(rng.random()), 2), 'bbox': [round(v, 2) for v in box]}
        if iou_type == 'segm':
            rle = mask_utils.merge(mask_utils.frPyObjects(polys, img['height'], img['width']))
            det['segmentation'] = {'size': rle['size'], 'counts': rle['counts'].decode()}
        dets.append(det)

    for ann in gt['annotations']:
        img = imgs[ann['image_id']]
        x, y, w, h = ann['bbox']
        for _ in range(int(rng.integers(1, 4))):
            dx, dy = rng.normal(0, .08, 2) * [w, h]
            scale = float(np.exp(rng.normal(0, .08)))
            polys = _jittered_polygons(rng, ann['segmentation'], dx, dy, scale,
                                       x + w / 2, y + h / 2)
            box = [x + w / 2 * (1 - scale) + dx, y + h / 2 * (1 - scale) + dy, w * scale, h * scale]
            cat = ann['category_id'] if rng.random() < .9 else rng.choice(cat_ids)
            add(img, cat, box, polys)
    for img in gt['images']:
        for _ in range(15):
            negatives = img['neg_category_ids']
            pool = negatives if negatives and rng.random() < .4 else cat_ids
            w, h = rng.uniform(4, img['width'] / 2), rng.uniform(4, img['height'] / 2)
            x, y = rng.uniform(0, img['width'] - w), rng.uniform(0, img['height'] - h)
            add(img, rng.choice(pool), [x, y, w, h], [[x, y, x + w, y, x + w, y + h, x, y + h]])
    return dets


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
def test_matches_official_on_real_annotations(official, val_100, iou_type, tmp_path):
    path, gt = val_100
    dets = make_detections(gt, iou_type)
    theirs = run_official(official, gt, dets, iou_type)
    ours = LVISEval(str(path), write_json(tmp_path / 'dt.json', dets), iou_type)
    ours.run()
    assert_same_evaluation(ours, theirs)
    assert 0.2 < ours.results['AP'] < 0.9  # a non-trivial operating point
    # the same through an in-memory list and an LVIS built from a dict
    again = LVISEval(LVIS(copy.deepcopy(gt)), dets, iou_type)
    again.run()
    assert again.results == ours.results
