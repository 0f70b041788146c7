"""Top-k classification accuracy, in percent."""
from typing import Optional, Sequence, Union

import torch.nn as nn
from torch import Tensor

from mmdet.registry import MODELS


def accuracy(pred: Tensor, target: Tensor, topk: Union[int, Sequence[int]] = 1,
             thresh: Optional[float] = None):
    """Percentage of rows of ``pred`` ``(N, C)`` whose ``target`` ``(N,)`` is among the
    top-k scores (and, with ``thresh``, scored above it).

    Returns a ``(1,)`` tensor for an int ``topk``, a list of them for a tuple.
    An empty ``pred`` gives 0.
    """
    if isinstance(topk, int):
        topk = (topk, )
        return_single = True
    else:
        topk = tuple(topk)
        return_single = False
    maxk = max(topk)
    if pred.size(0) == 0:
        res = [pred.new_tensor(0.) for _ in topk]
        return res[0] if return_single else res
    if pred.dim() != 2 or target.dim() != 1 or pred.size(0) != target.size(0):
        raise ValueError(f'expected pred (N, C) and target (N,), got {tuple(pred.shape)} '
                         f'and {tuple(target.shape)}')
    if maxk > pred.size(1):
        raise ValueError(f'maxk {maxk} exceeds pred dimension {pred.size(1)}')
    pred_value, pred_label = pred.topk(maxk, dim=1)
    pred_label = pred_label.t()  # (maxk, N)
    correct = pred_label.eq(target.view(1, -1).expand_as(pred_label))
    if thresh is not None:
        correct = correct & (pred_value > thresh).t()
    res = []
    for k in topk:
        correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
        res.append(correct_k.mul_(100.0 / pred.size(0)))
    return res[0] if return_single else res


@MODELS.register_module()
class Accuracy(nn.Module):
    """Module wrapper of :func:`accuracy`."""

    def __init__(self, topk: Union[int, Sequence[int]] = (1, ),
                 thresh: Optional[float] = None) -> None:
        super().__init__()
        self.topk = topk
        self.thresh = thresh

    def forward(self, pred: Tensor, target: Tensor):
        return accuracy(pred, target, self.topk, self.thresh)
