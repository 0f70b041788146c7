"""Max-IoU assigner (mmdetection 3.x semantics, vectorised)."""
import numbers
from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from .assign_result import AssignResult
from .base_assigner import BaseAssigner


@TASK_UTILS.register_module()
class MaxIoUAssigner(BaseAssigner):
    """Assign each prior to the gt box it overlaps most, or to background / ignore.

    Every prior starts as ignored (``-1``). Then:

    1. priors whose max IoU over the gts is in ``[0, neg_iou_thr)`` (or in
       ``[lo, hi)`` when ``neg_iou_thr`` is a pair) become negative (``0``);
    2. priors whose max IoU is ``>= pos_iou_thr`` get their best gt (``k + 1``);
    3. if ``match_low_quality``: for each gt whose best IoU is ``>= min_pos_iou``, the
       prior(s) reaching that IoU (all ties if ``gt_max_assign_all``, else the first)
       are assigned to it. Gts are visited in order, so a later gt overrides an
       earlier one on a shared prior; this also overrides step 2.

    Args:
        pos_iou_thr: IoU threshold for positives.
        neg_iou_thr: IoU threshold (or ``(lo, hi)`` band) for negatives.
        min_pos_iou: lowest IoU a low-quality match may have.
        gt_max_assign_all: in step 3, assign every prior tied at a gt's best IoU.
        ignore_iof_thr: priors overlapping an ignore box by IoF above this are
            ignored (disabled when <= 0).
        ignore_wrt_candidates: IoF is intersection over the prior's area (True) or
            over the ignore box's area (False).
        match_low_quality: enable step 3.
        gpu_assign_thr: above this many gts, compute on CPU (disabled when <= 0).
        iou_calculator: a config dict or callable ``(b1, b2, mode=...) -> (n1, n2)``.
    """

    def __init__(self,
                 pos_iou_thr: float,
                 neg_iou_thr: Union[float, Tuple[float, float]],
                 min_pos_iou: float = 0.,
                 gt_max_assign_all: bool = True,
                 ignore_iof_thr: float = -1,
                 ignore_wrt_candidates: bool = True,
                 match_low_quality: bool = True,
                 gpu_assign_thr: float = -1,
                 iou_calculator: Optional[Union[dict, Callable]] = None) -> None:
        if isinstance(neg_iou_thr, list):
            neg_iou_thr = tuple(neg_iou_thr)
        if isinstance(neg_iou_thr, tuple):
            if len(neg_iou_thr) != 2:
                raise ValueError(f'neg_iou_thr as a band needs (lo, hi), got {neg_iou_thr}')
        elif not isinstance(neg_iou_thr, numbers.Real):
            raise TypeError(f'neg_iou_thr must be a number or a pair, got {neg_iou_thr!r}')
        self.pos_iou_thr = pos_iou_thr
        self.neg_iou_thr = neg_iou_thr
        self.min_pos_iou = min_pos_iou
        self.gt_max_assign_all = gt_max_assign_all
        self.ignore_iof_thr = ignore_iof_thr
        self.ignore_wrt_candidates = ignore_wrt_candidates
        self.match_low_quality = match_low_quality
        self.gpu_assign_thr = gpu_assign_thr
        if iou_calculator is None:
            iou_calculator = dict(type='BboxOverlaps2D')
        if isinstance(iou_calculator, dict):
            iou_calculator = TASK_UTILS.build(iou_calculator)
        self.iou_calculator = iou_calculator

    def assign(self, priors, gt_bboxes, gt_labels: Optional[Tensor] = None,
               gt_bboxes_ignore: Optional[Tensor] = None, **kwargs) -> AssignResult:
        """Assign ``gt_bboxes`` ``(G, 4)`` with ``gt_labels`` ``(G,)`` to ``priors``
        ``(N, 4)``; ``gt_bboxes_ignore`` ``(K, 4)`` are optional ignore regions.

        mmdetection 3.x's ``assign(pred_instances, gt_instances, gt_instances_ignore)``
        (``InstanceData`` with ``priors``, ``bboxes``, ``labels``) is accepted too.
        """
        if hasattr(priors, 'priors'):
            gt_instances = gt_bboxes
            ignore = kwargs.pop('gt_instances_ignore', None)
            if ignore is None:
                ignore = gt_labels if gt_labels is not None else gt_bboxes_ignore
            priors = priors.priors
            gt_bboxes = gt_instances.bboxes
            gt_labels = gt_instances.labels
            gt_bboxes_ignore = None if ignore is None else ignore.bboxes

        device = priors.device
        on_cpu = self.gpu_assign_thr > 0 and gt_bboxes.shape[0] > self.gpu_assign_thr
        if on_cpu:
            priors = priors.cpu()
            gt_bboxes = gt_bboxes.cpu()
            gt_labels = None if gt_labels is None else gt_labels.cpu()
            gt_bboxes_ignore = None if gt_bboxes_ignore is None else gt_bboxes_ignore.cpu()

        overlaps = self.iou_calculator(gt_bboxes, priors)
        if (self.ignore_iof_thr > 0 and gt_bboxes_ignore is not None
                and gt_bboxes_ignore.numel() > 0 and priors.numel() > 0):
            if self.ignore_wrt_candidates:
                iof = self.iou_calculator(priors, gt_bboxes_ignore, mode='iof')
                ignore_max = iof.max(dim=1).values
            else:
                iof = self.iou_calculator(gt_bboxes_ignore, priors, mode='iof')
                ignore_max = iof.max(dim=0).values
            overlaps[:, ignore_max > self.ignore_iof_thr] = -1

        result = self.assign_wrt_overlaps(overlaps, gt_labels)
        if on_cpu:
            result.gt_inds = result.gt_inds.to(device)
            result.max_overlaps = result.max_overlaps.to(device)
            if result.labels is not None:
                result.labels = result.labels.to(device)
        return result

    def assign_wrt_overlaps(self, overlaps: Tensor,
                            gt_labels: Optional[Tensor] = None) -> AssignResult:
        """Assign from an IoU matrix ``(num_gts, num_priors)``."""
        num_gts, num_priors = overlaps.size(0), overlaps.size(1)
        gt_inds = overlaps.new_full((num_priors, ), -1, dtype=torch.long)

        if num_gts == 0 or num_priors == 0:
            max_overlaps = overlaps.new_zeros((num_priors, ))
            labels = overlaps.new_full((num_priors, ), -1, dtype=torch.long)
            if num_gts == 0:
                gt_inds[:] = 0  # no gt: everything is background
            return AssignResult(num_gts, gt_inds, max_overlaps, labels)

        # best gt of each prior, and best prior of each gt
        max_overlaps, argmax_overlaps = overlaps.max(dim=0)
        gt_max_overlaps, gt_argmax_overlaps = overlaps.max(dim=1)

        # negatives
        if isinstance(self.neg_iou_thr, tuple):
            lo, hi = self.neg_iou_thr
            gt_inds[(max_overlaps >= lo) & (max_overlaps < hi)] = 0
        else:
            gt_inds[(max_overlaps >= 0) & (max_overlaps < self.neg_iou_thr)] = 0

        # positives
        pos = max_overlaps >= self.pos_iou_thr
        gt_inds[pos] = argmax_overlaps[pos] + 1

        # low-quality matches; the last gt (in order) touching a prior wins
        if self.match_low_quality:
            eligible = gt_max_overlaps >= self.min_pos_iou
            if self.gt_max_assign_all:
                hit = (overlaps == gt_max_overlaps[:, None]) & eligible[:, None]
                g_idx, p_idx = hit.nonzero(as_tuple=True)
            else:
                g_idx = eligible.nonzero(as_tuple=False).squeeze(1)
                p_idx = gt_argmax_overlaps[g_idx]
            if g_idx.numel() > 0:
                winner = gt_inds.new_zeros(num_priors).scatter_reduce_(
                    0, p_idx, g_idx + 1, reduce='amax')
                touched = winner > 0
                gt_inds[touched] = winner[touched]

        if gt_labels is None:
            labels = None
        else:
            labels = gt_inds.new_full((num_priors, ), -1)
            pos = gt_inds > 0
            labels[pos] = gt_labels[gt_inds[pos] - 1].to(labels.dtype)
        return AssignResult(num_gts, gt_inds, max_overlaps, labels)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(pos_iou_thr={self.pos_iou_thr}, '
                f'neg_iou_thr={self.neg_iou_thr}, min_pos_iou={self.min_pos_iou}, '
                f'gt_max_assign_all={self.gt_max_assign_all}, '
                f'ignore_iof_thr={self.ignore_iof_thr}, '
                f'ignore_wrt_candidates={self.ignore_wrt_candidates}, '
                f'match_low_quality={self.match_low_quality})')
