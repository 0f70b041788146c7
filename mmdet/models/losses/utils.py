"""Loss reduction helpers with mmdetection semantics."""
import functools
from typing import Callable, Optional

import torch
from torch import Tensor


def reduce_loss(loss: Tensor, reduction: str) -> Tensor:
    """Reduce an elementwise loss with ``'none'``, ``'mean'`` or ``'sum'``.

    The mean of an empty loss is 0 (kept on the graph), not NaN.
    """
    if reduction == 'none':
        return loss
    if reduction == 'mean':
        return loss.sum() if loss.numel() == 0 else loss.mean()
    if reduction == 'sum':
        return loss.sum()
    raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def weight_reduce_loss(loss: Tensor, weight: Optional[Tensor] = None, reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> Tensor:
    """Multiply by ``weight`` (broadcast), then reduce.

    With ``avg_factor`` and ``'mean'``: ``loss.sum() / (avg_factor + eps)``, eps being
    float32's machine epsilon; ``avg_factor`` with ``'sum'`` is an error.
    """
    if weight is not None:
        loss = loss * weight
    if avg_factor is None:
        return reduce_loss(loss, reduction)
    if reduction == 'mean':
        eps = torch.finfo(torch.float32).eps
        return loss.sum() / (avg_factor + eps)
    if reduction != 'none':
        raise ValueError('avg_factor can not be used with reduction="sum"')
    return loss


def weighted_loss(loss_func: Callable) -> Callable:
    """Turn an elementwise ``loss_func(pred, target, **kw)`` into one taking
    ``weight``, ``reduction`` and ``avg_factor``."""

    @functools.wraps(loss_func)
    def wrapper(pred: Tensor, target: Tensor, weight: Optional[Tensor] = None,
                reduction: str = 'mean', avg_factor: Optional[float] = None, **kwargs):
        loss = loss_func(pred, target, **kwargs)
        return weight_reduce_loss(loss, weight, reduction, avg_factor)

    return wrapper
