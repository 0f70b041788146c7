"""Base class of samplers: draw positives and negatives from an ``AssignResult``."""
from abc import ABCMeta, abstractmethod
from typing import Optional

import torch
from torch import Tensor

from ..assigners.assign_result import AssignResult
from .sampling_result import SamplingResult


def _unpack(priors, gt_bboxes, gt_labels):
    """Accept mmdetection 3.x ``(pred_instances, gt_instances)`` as well as tensors."""
    if hasattr(priors, 'priors'):
        priors = priors.priors
    if hasattr(gt_bboxes, 'bboxes'):
        if gt_labels is None:
            gt_labels = getattr(gt_bboxes, 'labels', None)
        gt_bboxes = gt_bboxes.bboxes
    return priors, gt_bboxes, gt_labels


class BaseSampler(metaclass=ABCMeta):
    """Samples ``num`` priors, of which up to ``int(num * pos_fraction)`` positives.

    Args:
        num: number of priors to sample.
        pos_fraction: largest fraction of positives.
        neg_pos_ub: if >= 0, at most ``int(neg_pos_ub * max(1, num_pos))`` negatives.
        add_gt_as_proposals: prepend the gt boxes to the priors (as positives
            assigned to themselves) before sampling.
    """

    def __init__(self, num: int, pos_fraction: float, neg_pos_ub: float = -1,
                 add_gt_as_proposals: bool = True, **kwargs) -> None:
        self.num = num
        self.pos_fraction = pos_fraction
        self.neg_pos_ub = neg_pos_ub
        self.add_gt_as_proposals = add_gt_as_proposals
        self.pos_sampler = self
        self.neg_sampler = self

    @abstractmethod
    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Indices of sampled positives."""

    @abstractmethod
    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Indices of sampled negatives."""

    def sample(self, assign_result: AssignResult, priors: Tensor, gt_bboxes: Tensor,
               gt_labels: Optional[Tensor] = None, **kwargs) -> SamplingResult:
        """Sample positives and negatives.

        ``priors`` ``(N, 4)`` (extra columns, such as a score, are dropped),
        ``gt_bboxes`` ``(G, 4)``, ``gt_labels`` ``(G,)`` (needed when gts are added as
        proposals). With ``add_gt_as_proposals`` and at least one gt, the gts are
        prepended to the priors and ``assign_result`` is extended in place.
        """
        priors, gt_bboxes, gt_labels = _unpack(priors, gt_bboxes, gt_labels)
        if priors.dim() < 2:
            priors = priors[None, :]
        priors = priors[:, :4]

        gt_flags = priors.new_zeros((priors.shape[0], ), dtype=torch.uint8)
        if self.add_gt_as_proposals and len(gt_bboxes) > 0:
            if gt_labels is None:
                raise ValueError('gt_labels must be given when add_gt_as_proposals is True')
            priors = torch.cat([gt_bboxes[:, :4].to(priors.dtype), priors], dim=0)
            assign_result.add_gt_(gt_labels)
            gt_ones = priors.new_ones(gt_bboxes.shape[0], dtype=torch.uint8)
            gt_flags = torch.cat([gt_ones, gt_flags])

        num_expected_pos = int(self.num * self.pos_fraction)
        pos_inds = self.pos_sampler._sample_pos(
            assign_result, num_expected_pos, bboxes=priors, **kwargs).unique()
        num_sampled_pos = pos_inds.numel()
        num_expected_neg = self.num - num_sampled_pos
        if self.neg_pos_ub >= 0:
            neg_upper_bound = int(self.neg_pos_ub * max(1, num_sampled_pos))
            num_expected_neg = min(num_expected_neg, neg_upper_bound)
        neg_inds = self.neg_sampler._sample_neg(
            assign_result, num_expected_neg, bboxes=priors, **kwargs).unique()

        return SamplingResult(pos_inds=pos_inds, neg_inds=neg_inds, priors=priors,
                              gt_bboxes=gt_bboxes, assign_result=assign_result,
                              gt_flags=gt_flags)
