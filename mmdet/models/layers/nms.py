"""Non-maximum suppression over groups (levels or classes)."""
from typing import Tuple

import torch
from torch import Tensor
from torchvision.ops import boxes as tv_boxes


def batched_nms(boxes: Tensor, scores: Tensor, groups: Tensor,
                iou_threshold: float) -> Tensor:
    """Greedy NMS run independently per group; indices kept, by descending score.

    A box suppresses a lower-scored box of the same group when IoU > ``iou_threshold``.
    """
    if boxes.numel() == 0:
        return boxes.new_zeros(0, dtype=torch.long)
    boxes, scores = boxes.float(), scores.float()
    if boxes.is_cuda or boxes.shape[0] <= 4000:
        return tv_boxes.batched_nms(boxes, scores, groups, iou_threshold)
    # Many boxes on the CPU (LVIS: tens of thousands of (RoI, class) pairs over ~1,200
    # classes): one NMS per group over its own contiguous slice, after one stable sort
    # by group, instead of torchvision's scan of all boxes for every group.
    order = torch.sort(groups, stable=True)[1]
    _, counts = torch.unique_consecutive(groups[order], return_counts=True)
    keep_mask = torch.zeros_like(scores, dtype=torch.bool)
    start = 0
    for count in counts.tolist():
        inds = order[start:start + count]
        start += count
        keep_mask[inds[tv_boxes.nms(boxes[inds], scores[inds], iou_threshold)]] = True
    keep = torch.nonzero(keep_mask, as_tuple=True)[0]
    return keep[scores[keep].sort(descending=True)[1]]


def score_candidates(scores: Tensor, score_thr: float) -> Tuple[Tensor, Tensor, Tensor]:
    """The (RoI, class) pairs whose score is strictly above ``score_thr``.

    ``scores`` is (N, C + 1) with background last (ignored). Returns the RoI indices,
    labels and scores of the pairs, RoI-major.
    """
    fg_scores = scores[:, :scores.shape[1] - 1]
    roi_inds, labels = torch.nonzero(fg_scores > score_thr, as_tuple=True)
    return roi_inds, labels, fg_scores[roi_inds, labels]


def class_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float,
              max_per_img: int = -1) -> Tensor:
    """Indices of the detections kept by per-class NMS, best first, at most
    ``max_per_img`` (all when < 0)."""
    keep = batched_nms(boxes, scores, labels, iou_threshold)
    return keep[:max_per_img] if max_per_img >= 0 else keep


def multiclass_nms(bboxes: Tensor, scores: Tensor, score_thr: float, iou_threshold: float,
                   max_per_img: int = -1) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-class NMS of softmax detections.

    Args:
        bboxes: (N, 4 * C) class-wise boxes or (N, 4) shared boxes.
        scores: (N, C + 1) probabilities; the last column (background) is ignored.
        score_thr: keep (roi, class) pairs with score strictly above it.
        max_per_img: keep at most this many detections (all when < 0).

    Returns:
        boxes (K, 4), scores (K,), labels (K,), and the RoI index of each detection (K,).
    """
    roi_inds, labels, det_scores = score_candidates(scores, score_thr)
    if bboxes.shape[1] == 4:
        det_boxes = bboxes[roi_inds]
    else:
        det_boxes = bboxes.view(scores.shape[0], -1, 4)[roi_inds, labels]
    keep = class_nms(det_boxes, det_scores, labels, iou_threshold, max_per_img)
    return det_boxes[keep], det_scores[keep], labels[keep], roi_inds[keep]


def nms_iou_threshold(nms_cfg) -> float:
    """The IoU threshold of an mmdetection-style ``nms=dict(type='nms', iou_threshold=..)``."""
    if isinstance(nms_cfg, dict):
        if nms_cfg.get('type', 'nms') != 'nms':
            raise ValueError(f"nms type {nms_cfg['type']!r} is not supported (only 'nms')")
        return float(nms_cfg.get('iou_threshold', nms_cfg.get('iou_thr')))
    return float(nms_cfg)


__all__ = ['batched_nms', 'class_nms', 'multiclass_nms', 'nms_iou_threshold',
           'score_candidates']
