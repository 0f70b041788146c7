"""Uniform random sampler of positives and negatives."""
import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS

from ..assigners.assign_result import AssignResult
from .base_sampler import BaseSampler


@TASK_UTILS.register_module()
class RandomSampler(BaseSampler):
    """Draws positives (``gt_inds > 0``) and negatives (``gt_inds == 0``) uniformly.

    Randomness comes from ``torch.randperm`` on the default generator (one call per
    draw, only when there are more candidates than needed), as in mmdetection, so
    ``torch.manual_seed`` makes it reproducible. The returned indices are sorted.
    """

    def __init__(self, num: int, pos_fraction: float, neg_pos_ub: float = -1,
                 add_gt_as_proposals: bool = True, **kwargs) -> None:
        super().__init__(num=num, pos_fraction=pos_fraction, neg_pos_ub=neg_pos_ub,
                         add_gt_as_proposals=add_gt_as_proposals)

    @staticmethod
    def random_choice(gallery: Tensor, num: int) -> Tensor:
        """``num`` distinct elements of ``gallery`` drawn uniformly at random."""
        if len(gallery) < num:
            raise ValueError(f'cannot draw {num} from {len(gallery)} elements')
        perm = torch.randperm(gallery.numel())[:num].to(device=gallery.device)
        return gallery[perm]

    def _sample_pos(self, assign_result: AssignResult, num_expected: int,
                    **kwargs) -> Tensor:
        pos_inds = torch.nonzero(assign_result.gt_inds > 0, as_tuple=False).reshape(-1)
        if pos_inds.numel() <= num_expected:
            return pos_inds
        return self.random_choice(pos_inds, num_expected)

    def _sample_neg(self, assign_result: AssignResult, num_expected: int,
                    **kwargs) -> Tensor:
        neg_inds = torch.nonzero(assign_result.gt_inds == 0, as_tuple=False).reshape(-1)
        if neg_inds.numel() <= num_expected:
            return neg_inds
        return self.random_choice(neg_inds, num_expected)
