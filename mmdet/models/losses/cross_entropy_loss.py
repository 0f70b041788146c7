"""Cross-entropy losses: softmax, sigmoid (binary) and per-RoI mask BCE."""
import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmdet.registry import MODELS

from .utils import weight_reduce_loss


def cross_entropy(pred: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                  reduction: str = 'mean', avg_factor: Optional[float] = None,
                  class_weight: Optional[Tensor] = None, ignore_index: Optional[int] = -100,
                  avg_non_ignore: bool = False) -> Tensor:
    """Softmax cross entropy of logits ``pred`` ``(N, C)`` and int ``label`` ``(N,)``.

    ``weight`` ``(N,)`` weighs samples; ``class_weight`` ``(C,)`` weighs classes (inside
    ``F.cross_entropy``). With ``avg_non_ignore`` and ``'mean'`` (and no avg_factor) the
    sum is divided by the number of non-ignored labels.
    """
    ignore_index = -100 if ignore_index is None else ignore_index
    loss = F.cross_entropy(pred, label, weight=class_weight, reduction='none',
                           ignore_index=ignore_index)
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = label.numel() - (label == ignore_index).sum().item()
    if weight is not None:
        weight = weight.float()
    return weight_reduce_loss(loss, weight=weight, reduction=reduction, avg_factor=avg_factor)


def _expand_onehot_labels(labels: Tensor, label_weights: Optional[Tensor],
                          label_channels: int, ignore_index: int):
    """One-hot ``(N, C)`` targets from int labels; labels outside ``[0, C)`` (e.g. the
    background index ``C``) give an all-zero row, ignored labels a zero weight."""
    bin_labels = labels.new_zeros((labels.size(0), label_channels))
    valid_mask = (labels >= 0) & (labels != ignore_index)
    inds = torch.nonzero(valid_mask & (labels < label_channels), as_tuple=False).reshape(-1)
    if inds.numel() > 0:
        bin_labels[inds, labels[inds]] = 1
    valid_mask = valid_mask.view(-1, 1).expand(labels.size(0), label_channels).float()
    if label_weights is None:
        bin_label_weights = valid_mask
    else:
        bin_label_weights = label_weights.view(-1, 1).repeat(1, label_channels) * valid_mask
    return bin_labels, bin_label_weights, valid_mask


def binary_cross_entropy(pred: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                         reduction: str = 'mean', avg_factor: Optional[float] = None,
                         class_weight: Optional[Tensor] = None,
                         ignore_index: Optional[int] = -100,
                         avg_non_ignore: bool = False) -> Tensor:
    """Sigmoid BCE-with-logits.

    ``label`` either has the shape of ``pred`` (targets in [0, 1]; negative values and
    ``ignore_index`` are ignored) or is an int ``(N,)`` label for ``pred`` ``(N, C)``,
    expanded to one-hot (label ``C`` = background = all zeros). ``class_weight`` is
    BCE's ``pos_weight``.
    """
    ignore_index = -100 if ignore_index is None else ignore_index
    if pred.dim() != label.dim():
        label, weight, valid_mask = _expand_onehot_labels(label, weight, pred.size(-1),
                                                          ignore_index)
    else:
        valid_mask = ((label >= 0) & (label != ignore_index)).float()
        weight = valid_mask if weight is None else weight * valid_mask
    if avg_factor is None and avg_non_ignore and reduction == 'mean':
        avg_factor = valid_mask.sum().item()
    weight = weight.float()
    loss = F.binary_cross_entropy_with_logits(pred, label.float(), pos_weight=class_weight,
                                              reduction='none')
    return weight_reduce_loss(loss, weight, reduction=reduction, avg_factor=avg_factor)


def mask_cross_entropy(pred: Tensor, target: Tensor, label: Optional[Tensor],
                       reduction: str = 'mean', avg_factor: Optional[float] = None,
                       class_weight: Optional[Tensor] = None,
                       ignore_index: Optional[int] = None, **kwargs) -> Tensor:
    """BCE-with-logits of each RoI's mask channel.

    ``pred`` ``(N, C, h, w)`` logits, ``target`` ``(N, h, w)`` in [0, 1], ``label``
    ``(N,)``: RoI i uses channel ``label[i]``, or channel 0 when ``C == 1``
    (class-agnostic). Mean over all picked elements; returns a ``(1,)`` tensor, as
    mmdetection does. No RoIs give 0 (on the graph).
    """
    if ignore_index is not None:
        raise ValueError('mask cross entropy does not support ignore_index')
    if reduction != 'mean' or avg_factor is not None:
        raise ValueError('mask cross entropy supports only reduction="mean" without '
                         'avg_factor')
    num_rois = pred.size(0)
    if num_rois == 0:
        return (pred.sum() * 0)[None]
    if pred.size(1) == 1:
        pred_slice = pred[:, 0]
    else:
        if label is None:
            raise ValueError('labels are needed to pick class-specific mask channels')
        inds = torch.arange(num_rois, dtype=torch.long, device=pred.device)
        pred_slice = pred[inds, label.long()]
    return F.binary_cross_entropy_with_logits(pred_slice, target.to(pred_slice.dtype),
                                              weight=class_weight, reduction='mean')[None]


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Cross-entropy loss: softmax (default), sigmoid (``use_sigmoid``) or per-RoI mask
    BCE (``use_mask``).

    ``forward(cls_score, label, weight=None, avg_factor=None, reduction_override=None,
    ignore_index=None)``; for masks ``forward(mask_pred, mask_target, labels)``.
    The result is multiplied by ``loss_weight``.
    """

    def __init__(self, use_sigmoid: bool = False, use_mask: bool = False,
                 reduction: str = 'mean', class_weight=None,
                 ignore_index: Optional[int] = None, loss_weight: float = 1.0,
                 avg_non_ignore: bool = False) -> None:
        super().__init__()
        if use_sigmoid and use_mask:
            raise ValueError('use_sigmoid and use_mask are exclusive')
        self.use_sigmoid = use_sigmoid
        self.use_mask = use_mask
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.class_weight = class_weight
        self.ignore_index = ignore_index
        self.avg_non_ignore = avg_non_ignore
        if ignore_index is not None and not avg_non_ignore and reduction == 'mean':
            warnings.warn('With ignore_index set and avg_non_ignore=False, the mean is '
                          'taken over all elements, ignored ones included. Set '
                          'avg_non_ignore=True to average over non-ignored elements.')
        if use_sigmoid:
            self.cls_criterion = binary_cross_entropy
        elif use_mask:
            self.cls_criterion = mask_cross_entropy
        else:
            self.cls_criterion = cross_entropy

    def extra_repr(self) -> str:
        return (f'use_sigmoid={self.use_sigmoid}, use_mask={self.use_mask}, '
                f'reduction={self.reduction!r}, loss_weight={self.loss_weight}, '
                f'avg_non_ignore={self.avg_non_ignore}')

    def forward(self, cls_score: Tensor, label: Tensor, weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None,
                ignore_index: Optional[int] = None, **kwargs) -> Tensor:
        if reduction_override not in (None, 'none', 'mean', 'sum'):
            raise ValueError(f'bad reduction_override {reduction_override!r}')
        reduction = reduction_override if reduction_override else self.reduction
        if ignore_index is None:
            ignore_index = self.ignore_index
        class_weight = (None if self.class_weight is None else
                        cls_score.new_tensor(self.class_weight))
        return self.loss_weight * self.cls_criterion(
            cls_score, label, weight, class_weight=class_weight, reduction=reduction,
            avg_factor=avg_factor, ignore_index=ignore_index,
            avg_non_ignore=self.avg_non_ignore, **kwargs)
