"""Sampler that keeps every positive and every negative (no randomness)."""
import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from ..assigners.assign_result import AssignResult
from .base_sampler import BaseSampler, _unpack
from .sampling_result import SamplingResult


@TASK_UTILS.register_module()
class PseudoSampler(BaseSampler):
    """Returns all positives (``gt_inds > 0``) and negatives (``gt_inds == 0``).

    The gts are not added as proposals, and ``avg_factor`` counts positives only.
    """

    def __init__(self, **kwargs) -> None:
        pass

    def _sample_pos(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Every positive (``num_expected`` is ignored)."""
        return torch.nonzero(assign_result.gt_inds > 0, as_tuple=True)[0]

    def _sample_neg(self, assign_result: AssignResult, num_expected: int, **kwargs) -> Tensor:
        """Every negative (``num_expected`` is ignored)."""
        return torch.nonzero(assign_result.gt_inds == 0, as_tuple=True)[0]

    def sample(self, assign_result: AssignResult, priors: Tensor, gt_bboxes: Tensor,
               gt_labels=None, **kwargs) -> SamplingResult:
        priors, gt_bboxes, _ = _unpack(priors, gt_bboxes, gt_labels)
        pos_inds = torch.nonzero(assign_result.gt_inds > 0, as_tuple=False).reshape(-1).unique()
        neg_inds = torch.nonzero(assign_result.gt_inds == 0, as_tuple=False).reshape(-1).unique()
        gt_flags = priors.new_zeros(priors.shape[0], dtype=torch.uint8)
        return SamplingResult(pos_inds=pos_inds, neg_inds=neg_inds, priors=priors,
                              gt_bboxes=gt_bboxes, assign_result=assign_result,
                              gt_flags=gt_flags, avg_factor_with_neg=False)
