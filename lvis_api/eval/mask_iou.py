"""Mask IoUs of every (category, image) group that has both ground truth and detections.

pycocotools computes each group's (num_dt, num_gt) matrix from compressed RLEs, the same
call the official evaluator makes; the matrices are packed into one flat array.
"""
from typing import Tuple

import numpy as np
import pycocotools.mask as mask_utils

from ..lvis import LVIS
from ..results import LVISResults
from .problem import EvalProblem


def group_mask_ious(problem: EvalProblem, gt: LVIS,
                    dt: LVISResults) -> Tuple[np.ndarray, np.ndarray]:
    """Returns ``(ious_flat, group_iou_offset)``; group g's matrix, row-major, starts at
    ``group_iou_offset[g]`` (only groups with both sides have one)."""
    num_gt = problem.group_gt_end - problem.group_gt_start
    num_dt = problem.group_dt_end - problem.group_dt_start
    sizes = num_gt * num_dt
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    ious_flat = np.zeros(int(sizes.sum()), np.float64)
    gt_anns = gt.dataset['annotations']
    gt_rows, dt_rows = problem.gt_rows.tolist(), problem.dt_rows.tolist()
    for g in np.flatnonzero(sizes).tolist():
        gs, ge = problem.group_gt_start[g], problem.group_gt_end[g]
        ds, de = problem.group_dt_start[g], problem.group_dt_end[g]
        gts = [gt.ann_to_rle(gt_anns[r]) for r in gt_rows[gs:ge]]
        dts = [dt.segm_rle(r) for r in dt_rows[ds:de]]
        ious = mask_utils.iou(dts, gts, [0] * len(gts))
        ious_flat[offsets[g]:offsets[g] + sizes[g]] = np.asarray(ious).ravel()
    return ious_flat, offsets
