"""Predictions for metric tests: a split's ground truth as per-image samples, as
``Evaluator.process`` hands them to a metric, optionally perturbed."""
import numpy as np
import torch

from mmdet.datasets.transforms import segmentation_to_mask
from mmdet.structures import DetDataSample, InstanceData, RoIMasks


def gt_samples(val, transform=None, seed=0):
    """Per image, the ground truth as a prediction (xyxy boxes, score 1, 0-based labels,
    masks; crowd regions left out), as ``Evaluator.process`` hands samples to a metric
    (``to_dict()``); ``transform(rng, boxes, labels, masks, scores)`` may perturb them."""
    rng = np.random.default_rng(seed)
    cat_ids = sorted(c['id'] for c in val['categories'])
    out = []
    for img in sorted(val['images'], key=lambda im: im['id']):
        anns = [a for a in val['annotations']
                if a['image_id'] == img['id'] and not a.get('iscrowd', 0)]
        h, w = img['height'], img['width']
        boxes = np.array([[a['bbox'][0], a['bbox'][1], a['bbox'][0] + a['bbox'][2],
                           a['bbox'][1] + a['bbox'][3]] for a in anns], np.float32).reshape(-1, 4)
        labels = np.array([cat_ids.index(a['category_id']) for a in anns], np.int64)
        masks = np.stack([segmentation_to_mask(a['segmentation'], h, w) for a in anns]
                         ) if anns else np.zeros((0, h, w), np.uint8)
        scores = np.ones(len(anns), np.float32)
        if transform is not None:
            boxes, labels, masks, scores = transform(rng, boxes, labels, masks, scores)
        sample = DetDataSample(metainfo=dict(img_id=img['id'], ori_shape=(h, w)))
        sample.pred_instances = InstanceData(
            bboxes=torch.from_numpy(boxes), labels=torch.from_numpy(labels),
            scores=torch.from_numpy(scores),
            masks=RoIMasks.from_bitmaps(torch.from_numpy(masks.astype(bool))))
        out.append(sample.to_dict())
    return out


def evaluate(metric, samples):
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def perturb(rng, boxes, labels, masks, scores):
    """Jittered boxes, shifted masks, random scores, some wrong labels and false
    positives (copies of real boxes with another label)."""
    n = len(boxes)
    h, w = masks.shape[1:]
    size = np.tile(boxes[:, 2:] - boxes[:, :2], 2)  # jitter by up to 15 % of the size
    boxes = boxes + rng.uniform(-0.15, 0.15, boxes.shape) * size
    boxes = np.clip(boxes, 0, [w, h, w, h]).astype(np.float32)
    shifts = np.round(rng.uniform(-0.1, 0.1, (n, 2)) * size[:, [1, 0]]).astype(int)
    masks = np.stack([np.roll(m, tuple(d), axis=(0, 1)) for m, d in zip(masks, shifts)])
    scores = np.round(rng.uniform(0.05, 1.0, n), 2).astype(np.float32)  # with ties
    labels = labels.copy()
    wrong = rng.random(n) < 0.25
    labels[wrong] = rng.integers(0, 16, wrong.sum())
    fp = rng.random(n) < 0.5
    boxes = np.concatenate([boxes, boxes[fp] * 0.8])
    labels = np.concatenate([labels, (labels[fp] + 3) % 16])
    masks = np.concatenate([masks, masks[fp][:, ::-1]])
    scores = np.concatenate([scores, np.round(rng.uniform(0, 1, fp.sum()), 2)
                             .astype(np.float32)])
    return boxes, labels, masks, scores
