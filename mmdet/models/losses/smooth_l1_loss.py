"""L1 and smooth-L1 box regression losses."""
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from mmdet.registry import MODELS

from .utils import weighted_loss


@weighted_loss
def smooth_l1_loss(pred: Tensor, target: Tensor, beta: float = 1.0) -> Tensor:
    """Elementwise ``0.5 * d**2 / beta`` where ``d < beta``, else ``d - 0.5 * beta``."""
    if beta <= 0:
        raise ValueError(f'beta must be positive, got {beta}')
    if target.numel() == 0:
        return pred.sum() * 0
    if pred.size() != target.size():
        raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
    diff = torch.abs(pred - target)
    return torch.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta)


@weighted_loss
def l1_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Elementwise ``|pred - target|``."""
    if target.numel() == 0:
        return pred.sum() * 0
    if pred.size() != target.size():
        raise ValueError(f'pred {tuple(pred.shape)} and target {tuple(target.shape)} differ')
    return torch.abs(pred - target)


class _RegressionLoss(nn.Module):

    def __init__(self, reduction: str = 'mean', loss_weight: float = 1.0) -> None:
        super().__init__()
        self.reduction = reduction
        self.loss_weight = loss_weight

    def _call(self, func, pred, target, weight, avg_factor, reduction_override, **kwargs):
        if weight is not None and not torch.any(weight > 0):
            # nothing to learn from: 0, still connected to pred
            if pred.dim() == weight.dim() + 1:
                weight = weight.unsqueeze(1)
            return (pred * weight).sum()
        if reduction_override not in (None, 'none', 'mean', 'sum'):
            raise ValueError(f'bad reduction_override {reduction_override!r}')
        reduction = reduction_override if reduction_override else self.reduction
        return self.loss_weight * func(pred, target, weight, reduction=reduction,
                                       avg_factor=avg_factor, **kwargs)


@MODELS.register_module()
class SmoothL1Loss(_RegressionLoss):
    """Smooth L1 loss.

    ``forward(pred, target, weight=None, avg_factor=None, reduction_override=None)``.
    """

    def __init__(self, beta: float = 1.0, reduction: str = 'mean',
                 loss_weight: float = 1.0) -> None:
        super().__init__(reduction, loss_weight)
        self.beta = beta

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        return self._call(smooth_l1_loss, pred, target, weight, avg_factor,
                          reduction_override, beta=self.beta, **kwargs)


@MODELS.register_module()
class L1Loss(_RegressionLoss):
    """L1 loss.

    ``forward(pred, target, weight=None, avg_factor=None, reduction_override=None)``.
    """

    def forward(self, pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                **kwargs) -> Tensor:
        return self._call(l1_loss, pred, target, weight, avg_factor, reduction_override,
                          **kwargs)
