"""Result of sampling positive and negative priors from an ``AssignResult``."""
from typing import Any, Dict

import torch
from torch import Tensor

from ..assigners.assign_result import AssignResult


class SamplingResult:
    """Sampled positive and negative priors, and the gt boxes of the positives.

    Attributes:
        pos_inds, neg_inds: indices into the (possibly gt-extended) priors.
        pos_priors, neg_priors: the sampled priors (``pos_bboxes`` / ``neg_bboxes``
            are aliases).
        pos_is_gt: ``uint8``, 1 where a positive is a gt box added as a proposal.
        num_gts: number of gt boxes of the image.
        pos_assigned_gt_inds: 0-based index of the gt of each positive
            (``pos_gt_inds`` is an alias).
        pos_gt_labels: label of each positive (None if the assignment had none).
        pos_gt_bboxes: gt box of each positive, ``(num_pos, 4)``.
        num_pos, num_neg: ``max(count, 1)``; ``avg_factor`` is ``num_pos + num_neg``
            (or ``num_pos`` alone when ``avg_factor_with_neg`` is False).
    """

    def __init__(self, pos_inds: Tensor, neg_inds: Tensor, priors: Tensor, gt_bboxes: Tensor,
                 assign_result: AssignResult, gt_flags: Tensor,
                 avg_factor_with_neg: bool = True) -> None:
        self.pos_inds = pos_inds
        self.neg_inds = neg_inds
        self.num_pos = max(pos_inds.numel(), 1)
        self.num_neg = max(neg_inds.numel(), 1)
        self.avg_factor_with_neg = avg_factor_with_neg
        self.avg_factor = self.num_pos + self.num_neg if avg_factor_with_neg else self.num_pos
        self.pos_priors = priors[pos_inds]
        self.neg_priors = priors[neg_inds]
        self.pos_is_gt = gt_flags[pos_inds]

        self.num_gts = gt_bboxes.shape[0]
        self.pos_assigned_gt_inds = assign_result.gt_inds[pos_inds] - 1
        self.pos_gt_labels = (None if assign_result.labels is None
                              else assign_result.labels[pos_inds])
        if gt_bboxes.numel() == 0:
            if self.pos_assigned_gt_inds.numel() != 0:
                raise ValueError('positives were assigned but there are no gt boxes')
            self.pos_gt_bboxes = gt_bboxes.reshape(-1, 4)
        else:
            if gt_bboxes.dim() < 2:
                gt_bboxes = gt_bboxes.reshape(-1, 4)
            self.pos_gt_bboxes = gt_bboxes[self.pos_assigned_gt_inds.long()]

    @property
    def pos_gt_inds(self) -> Tensor:
        return self.pos_assigned_gt_inds

    @property
    def priors(self) -> Tensor:
        """Positive then negative priors, concatenated."""
        return torch.cat([self.pos_priors, self.neg_priors], dim=0)

    @property
    def bboxes(self) -> Tensor:
        return self.priors

    @property
    def pos_bboxes(self) -> Tensor:
        return self.pos_priors

    @property
    def neg_bboxes(self) -> Tensor:
        return self.neg_priors

    def to(self, device) -> 'SamplingResult':
        """Move every tensor attribute to ``device`` (in place); returns self."""
        for key, value in vars(self).items():
            if isinstance(value, Tensor):
                setattr(self, key, value.to(device))
        return self

    @property
    def info(self) -> Dict[str, Any]:
        return {
            'pos_inds': self.pos_inds,
            'neg_inds': self.neg_inds,
            'pos_priors': self.pos_priors,
            'neg_priors': self.neg_priors,
            'pos_is_gt': self.pos_is_gt,
            'num_gts': self.num_gts,
            'pos_assigned_gt_inds': self.pos_assigned_gt_inds,
            'pos_gt_labels': self.pos_gt_labels,
            'pos_gt_bboxes': self.pos_gt_bboxes,
            'num_pos': self.num_pos,
            'num_neg': self.num_neg,
            'avg_factor': self.avg_factor,
        }

    def __repr__(self) -> str:
        return (f'<{self.__class__.__name__}(num_gts={self.num_gts}, '
                f'num_pos={self.pos_inds.numel()}, num_neg={self.neg_inds.numel()})>')
