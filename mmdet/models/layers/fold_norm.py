"""Folding an inference-mode BatchNorm into the convolution before it."""
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm


@torch.no_grad()
def fold_norm_into_conv(conv: nn.Conv2d, norm: _BatchNorm) -> None:
    """Make ``conv`` compute ``norm(conv(x))`` as BN does in eval mode (running
    statistics): ``w * g / sqrt(v + eps)`` and ``(b - m) * g / sqrt(v + eps) + beta``.

    The result equals conv-then-BN up to float rounding; ``norm`` must then be dropped.
    """
    if not isinstance(norm, _BatchNorm) or norm.running_var is None:
        raise TypeError(f'can only fold a BatchNorm with running statistics, got {norm}')
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    bias = conv.bias if conv.bias is not None else torch.zeros_like(norm.running_mean)
    new_bias = (bias - norm.running_mean) * scale + norm.bias
    conv.weight.copy_(conv.weight * scale.view(-1, 1, 1, 1))
    if conv.bias is None:
        conv.bias = nn.Parameter(new_bias.detach().clone(), requires_grad=False)
    else:
        conv.bias.copy_(new_bias)
