"""Folding a BatchNorm that uses its running statistics into the convolution before it."""
from contextlib import contextmanager
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm


_FOLD_ON_THE_FLY = [True]


@contextmanager
def unfolded_norms():
    """Within the block, :func:`conv_then_norm` runs the conv, then the norm (as
    mmdetection does), instead of one conv with folded weights: bit-for-bit comparisons
    with mmdetection use it; the folded path differs by float rounding only."""
    _FOLD_ON_THE_FLY.append(False)
    try:
        yield
    finally:
        _FOLD_ON_THE_FLY.pop()


def uses_running_stats(norm: nn.Module) -> bool:
    """Whether ``norm`` is a BatchNorm that normalises with its running statistics now
    (eval mode, or a frozen BN in any mode): an affine map that folds into a conv."""
    if not isinstance(norm, _BatchNorm) or norm.running_var is None or not norm.affine:
        return False
    return not norm.training or getattr(norm, 'always_uses_running_stats', False)


def folded_conv_params(conv: nn.Conv2d, norm: _BatchNorm) -> Tuple[Tensor, Tensor]:
    """Weight and bias of one conv computing ``norm(conv(x))`` with running statistics:
    ``w * g / sqrt(v + eps)`` and ``(b - m) * g / sqrt(v + eps) + beta``. Differentiable
    in the conv's and the norm's parameters, so gradients reach both."""
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    bias = norm.bias - norm.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    return conv.weight * scale.view(-1, 1, 1, 1), bias


def conv_then_norm(conv: nn.Module, norm: Optional[nn.Module], x: Tensor) -> Tensor:
    """``norm(conv(x))``, computed as one conv with folded weights when the norm uses its
    running statistics: no normalisation pass and, in training, no activation kept for
    the norm's gradients (they flow through the folded weights). Equal up to rounding."""
    if norm is None:
        return conv(x)
    if not _FOLD_ON_THE_FLY[-1]:
        return norm(conv(x))
    if type(conv) is nn.Conv2d and conv.padding_mode == 'zeros' and uses_running_stats(norm):
        weight, bias = folded_conv_params(conv, norm)
        return F.conv2d(x, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups)
    if hasattr(conv, 'deform') and uses_running_stats(norm):  # a deformable conv
        return conv.deform(x, *folded_conv_params(conv, norm))
    return norm(conv(x))


@torch.no_grad()
def fold_norm_into_conv(conv: nn.Conv2d, norm: _BatchNorm) -> None:
    """Make ``conv`` compute ``norm(conv(x))`` (running statistics) for good; ``norm``
    must then be dropped. For inference: the result equals conv-then-BN up to rounding."""
    if not isinstance(norm, _BatchNorm) or norm.running_var is None or not norm.affine:
        raise TypeError(f'can only fold a BatchNorm with running statistics, got {norm}')
    weight, bias = folded_conv_params(conv, norm)
    conv.weight.copy_(weight)
    if conv.bias is None:
        conv.bias = nn.Parameter(bias.detach().clone(), requires_grad=False)
    else:
        conv.bias.copy_(bias)
