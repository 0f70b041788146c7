"""SimCal's dual-head score combination (stage 3; the modes: score_modes).

Both heads give a softmax over all ``C + 1`` columns (background last). In ``dual``
mode a class column takes the calibrated probability when the class has fewer than
``T`` training instances and the original one otherwise; the background column is
always the original one, and nothing is renormalised.
"""
from typing import Sequence

import torch
from torch import Tensor


def calibrated_columns(train_instance_counts: Sequence[int], threshold: float) -> Tensor:
    """Bool mask over the ``C + 1`` score columns: True where the calibrated head's
    probability is used (classes with fewer than ``threshold`` training instances);
    the background column (last) is always False."""
    counts = torch.as_tensor(train_instance_counts).double()
    return torch.cat([counts < threshold, counts.new_zeros(1, dtype=torch.bool)])


def dual_scores(p_orig: Tensor, p_cal: Tensor, use_cal: Tensor) -> Tensor:
    """``score[:, c] = p_cal[:, c] if use_cal[c] else p_orig[:, c]`` (no renormalisation)."""
    if p_orig.shape != p_cal.shape or p_orig.shape[-1] != use_cal.numel():
        raise ValueError(f'score shapes differ: orig {tuple(p_orig.shape)}, cal '
                         f'{tuple(p_cal.shape)}, column mask {tuple(use_cal.shape)}')
    return torch.where(use_cal.to(p_orig.device), p_cal, p_orig)
