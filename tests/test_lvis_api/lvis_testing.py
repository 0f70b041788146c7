"""Helpers for lvis_api tests: running the official ``lvis`` package as reference, and
small generated LVIS problems that hit every rule of the official evaluation."""
import copy
import json
import logging
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import pycocotools.mask as mask_utils

OFFICIAL_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf',
                 'AR@300', 'ARs@300', 'ARm@300', 'ARl@300')


def run_official(official, gt: dict, dets: List[dict], iou_type: str,
                 max_dets: int = 300, params: Optional[Callable] = None):
    """Evaluate with the official package (on copies: it mutates its inputs)."""
    lvis_gt = official.LVIS.__new__(official.LVIS)  # the official LVIS reads paths only
    lvis_gt.dataset = copy.deepcopy(gt)
    lvis_gt.logger = logging.getLogger('lvis')
    lvis_gt._create_index()
    lvis_dt = official.LVISResults(lvis_gt, copy.deepcopy(dets), max_dets=max_dets)
    evaluator = official.LVISEval(lvis_gt, lvis_dt, iou_type)
    if params is not None:
        params(evaluator.params)
    evaluator.run()
    return evaluator


def assert_same_evaluation(ours, theirs, keys=OFFICIAL_KEYS) -> None:
    """Every metric within 1e-9, and the precision/recall arrays bit for bit equal."""
    for key in keys:
        assert abs(ours.results[key] - theirs.results[key]) <= 1e-9, \
            (key, ours.results[key], theirs.results[key])
    np.testing.assert_array_equal(ours.eval['precision'], theirs.eval['precision'])
    np.testing.assert_array_equal(ours.eval['recall'], theirs.eval['recall'])


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


def _quad(rng: np.random.Generator, x: float, y: float, w: float, h: float) -> List[float]:
    """A random convex-ish polygon inside the box."""
    pts = [x + rng.uniform(0, .3) * w, y, x + w, y + rng.uniform(0, .3) * h,
           x + w - rng.uniform(0, .3) * w, y + h, x, y + h - rng.uniform(0, .3) * h]
    return [round(v, 1) for v in pts]


def make_problem(seed: int, num_images: int = 12, num_cats: int = 10, iou_type: str = 'bbox',
                 zero_id: bool = False, with_boxes_in_segm: bool = True) -> Tuple[dict, List[dict]]:
    """A small LVIS problem and results covering the official rules: federated negatives,
    not-exhaustive categories, areas on the range edges, zero-area and ``ignore``
    annotations, duplicate boxes (IoU ties), rounded scores (score ties), images without
    annotations or detections, categories without ground truth, shuffled result order."""
    rng = np.random.default_rng(seed)
    cat_ids = sorted(rng.choice(np.arange(1, 4 * num_cats), num_cats, replace=False).tolist())
    categories = [{'id': c, 'name': f'c{c}', 'frequency': 'rcf'[i % 3]}
                  for i, c in enumerate(cat_ids)]
    no_gt_cat = cat_ids[-1]  # never annotated
    images, anns, dets = [], [], []
    for img_id in rng.choice(np.arange(1, 1000), num_images, replace=False).tolist():
        height, width = int(rng.integers(60, 160)), int(rng.integers(60, 160))
        num_gt = 0 if rng.random() < .15 else int(rng.integers(1, 7))
        present = rng.choice(cat_ids[:-1], min(num_gt, 3), replace=False).tolist() if num_gt else []
        absent = [c for c in cat_ids if c not in present]
        neg = rng.choice(absent, int(rng.integers(0, 4)), replace=False).tolist() + [9999]
        not_exhaustive = [c for c in present if rng.random() < .3]
        images.append({'id': img_id, 'height': height, 'width': width,
                       'neg_category_ids': neg, 'not_exhaustive_category_ids': not_exhaustive})
        gt_boxes = []
        for k in range(num_gt):
            cat = present[k % len(present)]
            if gt_boxes and rng.random() < .2:  # an exact duplicate: equal-IoU ties
                x, y, w, h = gt_boxes[-1][0]
                cat = gt_boxes[-1][1]
            else:
                w, h = float(rng.uniform(4, width * .8)), float(rng.uniform(4, height * .8))
                x, y = float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h))
            x, y, w, h = round(x, 1), round(y, 1), round(w, 1), round(h, 1)
            gt_boxes.append(((x, y, w, h), cat))
            poly = _quad(rng, x, y, w, h)
            rle = mask_utils.merge(mask_utils.frPyObjects([poly], height, width))
            area = float(mask_utils.area(rle))
            r = rng.random()
            area = (32.0 ** 2 if r < .1 else 96.0 ** 2 if r < .15 else 0.0 if r < .2 else area)
            ann = {'id': len(anns) + (0 if zero_id else 1), 'image_id': img_id,
                   'category_id': cat, 'bbox': [x, y, w, h], 'area': area,
                   'segmentation': [poly]}
            if rng.random() < .1:
                ann['ignore'] = 1
            anns.append(ann)
        # detections: jittered ground truth, exact copies, random boxes
        for (x, y, w, h), cat in gt_boxes:
            for _ in range(int(rng.integers(0, 4))):
                j = rng.normal(0, .1, 4) * [w, h, w, h] if rng.random() < .8 else np.zeros(4)
                dets.append(_det(rng, img_id, cat, (x + j[0], y + j[1], w + j[2], h + j[3]),
                                 height, width, iou_type, with_boxes_in_segm))
        if rng.random() < .85:
            for _ in range(int(rng.integers(0, 25))):
                pool = present + neg[:-1] if rng.random() < .7 else cat_ids
                cat = int(rng.choice(pool)) if pool else int(rng.choice(cat_ids))
                w, h = float(rng.uniform(0, width * .7)), float(rng.uniform(0, height * .7))
                if rng.random() < .05:
                    w = 0.0  # zero area: dropped officially
                box = (float(rng.uniform(0, width - w)), float(rng.uniform(0, height - h)), w, h)
                dets.append(_det(rng, img_id, cat, box, height, width, iou_type,
                                 with_boxes_in_segm))
    gt = {'info': {}, 'licenses': [], 'images': images, 'annotations': anns,
          'categories': categories}
    order = rng.permutation(len(dets))
    assert no_gt_cat in cat_ids
    return gt, [dets[i] for i in order]


def _det(rng, img_id: int, cat: int, box, height: int, width: int, iou_type: str,
         with_boxes: bool) -> Dict:
    x, y, w, h = (round(float(v), 2) for v in box)
    w, h = max(w, 0.0), max(h, 0.0)
    det = {'image_id': img_id, 'category_id': int(cat), 'score': round(float(rng.random()), 1)}
    if iou_type == 'bbox' or with_boxes:
        det['bbox'] = [x, y, w, h]
    if iou_type == 'segm':
        if w == 0 or h == 0:
            w, h = max(w, 1.0), max(h, 1.0)
        rle = mask_utils.merge(mask_utils.frPyObjects([_quad(rng, x, y, w, h)], height, width))
        det['segmentation'] = {'size': rle['size'], 'counts': rle['counts'].decode()}
    return det


COCO_STATS_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR@1', 'AR@10', 'AR@100',
                   'ARs@100', 'ARm@100', 'ARl@100')


def run_pycocotools(gt: dict, dets: List[dict], iou_type: str,
                    params: Optional[Callable] = None):
    """Evaluate with pycocotools' COCOeval (on copies: loadRes mutates its input)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    coco_gt = COCO()
    coco_gt.dataset = copy.deepcopy(gt)
    coco_gt.createIndex()
    evaluator = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(dets)), iou_type)
    if params is not None:
        params(evaluator.params)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
    return evaluator


def make_coco_problem(seed: int, iou_type: str = 'bbox', num_images: int = 12,
                      with_boxes_in_segm: bool = True) -> Tuple[dict, List[dict]]:
    """A COCO-format problem: :func:`make_problem`'s without the LVIS fields, plus crowd
    regions (uncompressed RLE, some also marked ``ignore``), annotations with id 0 and
    zero area, and an (image, category) pair with 130 detections (over COCO's cap of
    100) with score ties."""
    gt, dets = make_problem(seed, num_images=num_images, iou_type=iou_type,
                            with_boxes_in_segm=with_boxes_in_segm)
    rng = np.random.default_rng([seed, 7])
    for img in gt['images']:
        del img['neg_category_ids'], img['not_exhaustive_category_ids']
    for cat in gt['categories']:
        del cat['frequency']
    imgs = {img['id']: img for img in gt['images']}
    for ann in gt['annotations']:
        ann['iscrowd'] = 0
        if rng.random() < .15:  # a crowd region over the box, as uncompressed RLE
            img = imgs[ann['image_id']]
            x, y, w, h = ann['bbox']
            mask = np.zeros((img['height'], img['width']), np.uint8)
            mask[int(y):int(np.ceil(y + h)), int(x):int(np.ceil(x + w))] = 1
            flat = mask.ravel(order='F')
            edges = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [len(flat)]])
            counts = ([0] if flat[0] else []) + np.diff(edges).tolist()
            ann.update(iscrowd=1, segmentation={'size': [img['height'], img['width']],
                                                'counts': counts})
    gt['annotations'][0]['id'] = 0
    img_id = gt['images'][0]['id']
    img = imgs[img_id]
    cat = gt['categories'][0]['id']
    for _ in range(130):
        w, h = float(rng.uniform(2, img['width'] / 2)), float(rng.uniform(2, img['height'] / 2))
        box = (float(rng.uniform(0, img['width'] - w)), float(rng.uniform(0, img['height'] - h)),
               w, h)
        dets.append(_det(rng, img_id, cat, box, img['height'], img['width'], iou_type,
                         with_boxes_in_segm))
    order = rng.permutation(len(dets))
    return gt, [dets[i] for i in order]


def assert_same_coco_evaluation(ours, theirs) -> None:
    """pycocotools' stats, precision and recall arrays, bit for bit."""
    np.testing.assert_array_equal(ours.stats, theirs.stats)
    assert list(ours.results)[:12] == list(COCO_STATS_KEYS)
    np.testing.assert_array_equal(ours.eval['precision'], theirs.eval['precision'])
    np.testing.assert_array_equal(ours.eval['recall'], theirs.eval['recall'])
