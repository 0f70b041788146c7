"""A residual block's end, ``relu(conv(x) + identity)``, and an FPN lateral plus the coarser
level, ``conv(x) + up``, as one oneDNN call at inference on the CPU (a convolution with a
binary-add post-op, and a ReLU one): the sum and the ReLU are done as the convolution
writes its output, saving passes over the largest tensors.
The convolution and the additions are the same, so the result equals the three separate
operations (tested bit for bit)."""
import functools
from typing import List, Optional

import torch
from torch import Tensor, nn

_CHANNELS_LAST = torch.channels_last


@functools.lru_cache(maxsize=None)
def _fused_op_available() -> bool:
    return (torch.backends.mkldnn.is_available()
            and hasattr(torch.ops.mkldnn, '_convolution_pointwise'))


def conv_add_relu(conv: nn.Module, x: Tensor, identity: Tensor) -> Optional[Tensor]:
    """``relu(conv(x) + identity)`` by one fused call, or None where that does not apply:
    with autograd on, off the CPU, for other dtypes than float32, maps not channels-last,
    a conv that is not a plain ``nn.Conv2d`` with numeric zero padding."""
    return _conv_then_add(conv, x, identity, 'relu')


def conv_add(conv: nn.Module, x: Tensor, other: Tensor) -> Optional[Tensor]:
    """``conv(x) + other`` by one fused call (an FPN lateral and the upsampled coarser
    level), or None where that does not apply (as :func:`conv_add_relu`)."""
    return _conv_then_add(conv, x, other, None)


def _conv_then_add(conv: nn.Module, x: Tensor, other: Tensor,
                   unary: Optional[str]) -> Optional[Tensor]:
    if torch.is_grad_enabled() or type(conv) is not nn.Conv2d:
        return None
    if conv.padding_mode != 'zeros' or isinstance(conv.padding, str):
        return None
    if not all(t.device.type == 'cpu' and t.dtype == torch.float32 and t.dim() == 4
               and t.is_contiguous(memory_format=_CHANNELS_LAST) for t in (x, other)):
        return None
    if not _fused_op_available():
        return None
    return torch.ops.mkldnn._convolution_pointwise.binary(
        x, other, conv.weight, conv.bias, list(conv.padding), list(conv.stride),
        list(conv.dilation), conv.groups, 'add', None, unary, [], '')


__all__: List[str] = ['conv_add', 'conv_add_relu']
