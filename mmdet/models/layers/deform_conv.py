"""Deformable convolutions under mmcv's names, on ``torchvision.ops.deform_conv2d``.

``DCN`` (mmcv's ``DeformConv2dPack``, DCNv1) and ``DCNv2`` (``ModulatedDeformConv2dPack``)
predict their sampling offsets (and, for DCNv2, modulation masks) with a regular conv,
``conv_offset``, and hold the deformable kernel as ``weight`` (and ``bias``): the
parameter names of mmcv, so mmdetection checkpoints of DCN backbones load as they are.
The offset layout is mmcv's and torchvision's: ``(dy, dx)`` pairs, one per kernel tap and
deformable group; samples outside the input read zero. (mmcv's DCN refuses maps smaller
than the kernel; these compute them, as zero padding defines them.)
"""
import math
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair
from torchvision.ops import deform_conv2d

from mmdet.registry import MODELS

IntPair = Union[int, Tuple[int, int]]


class DeformConvPack(nn.Module):
    """What both packs share: the kernel, ``conv_offset`` and the deformable conv."""

    offset_parts = 2  # channels per kernel tap and group: dy, dx (+ mask for DCNv2)

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, dilation: IntPair = 1,
                 groups: int = 1, deform_groups: int = 1, bias: bool = False) -> None:
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f'in_channels {in_channels} and out_channels {out_channels} '
                             f'must be divisible by groups {groups}')
        if in_channels % deform_groups:
            raise ValueError(f'in_channels {in_channels} must be divisible by '
                             f'deform_groups {deform_groups}')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride, self.padding, self.dilation = _pair(stride), _pair(padding), _pair(dilation)
        self.groups, self.deform_groups = groups, deform_groups
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels // groups,
                                               *self.kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        taps = self.kernel_size[0] * self.kernel_size[1]
        self.conv_offset = nn.Conv2d(in_channels, deform_groups * self.offset_parts * taps,
                                     self.kernel_size, self.stride, self.padding,
                                     self.dilation, bias=True)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """mmcv's initialisation: a uniform kernel, zero offsets (a plain conv at first)."""
        bound = 1. / math.sqrt(self.in_channels * self.kernel_size[0] * self.kernel_size[1])
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self.init_offset()

    def init_offset(self) -> None:
        nn.init.zeros_(self.conv_offset.weight)
        nn.init.zeros_(self.conv_offset.bias)

    def offsets(self, x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        """Sampling offsets and modulation masks (None for DCNv1) predicted from ``x``."""
        return self.conv_offset(x), None

    def forward(self, x: Tensor) -> Tensor:
        return self.deform(x, self.weight, self.bias)

    def deform(self, x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        """The deformable conv of ``x`` with the given kernel and bias (a BatchNorm folded
        into them, see :func:`mmdet.models.layers.conv_then_norm`)."""
        offset, mask = self.offsets(x)
        return deform_conv2d(x.contiguous(), offset.contiguous(), weight, bias, self.stride,
                             self.padding, self.dilation,
                             None if mask is None else mask.contiguous())

    def extra_repr(self) -> str:
        return (f'{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, '
                f'stride={self.stride}, padding={self.padding}, dilation={self.dilation}, '
                f'groups={self.groups}, deform_groups={self.deform_groups}, '
                f'bias={self.bias is not None}')


@MODELS.register_module('DCN')
class DeformConv2dPack(DeformConvPack):
    """DCNv1: offsets only. mmcv's DCNv1 has no bias (one folded from a BatchNorm for
    inference is the exception)."""

    def __init__(self, *args, bias: bool = False, **kwargs) -> None:
        if bias:
            raise ValueError('DCN (DeformConv2dPack) has no bias, as in mmcv')
        super().__init__(*args, bias=False, **kwargs)


@MODELS.register_module('DCNv2')
class ModulatedDeformConv2dPack(DeformConvPack):
    """DCNv2: offsets and a sigmoid modulation mask per tap; ``conv_offset`` predicts
    ``[o1, o2, mask]`` in thirds, and ``cat(o1, o2)`` are the offsets (as mmcv)."""

    offset_parts = 3

    def __init__(self, *args, bias: bool = True, **kwargs) -> None:
        super().__init__(*args, bias=bias, **kwargs)

    def offsets(self, x: Tensor) -> Tuple[Tensor, Optional[Tensor]]:
        o1, o2, mask = torch.chunk(self.conv_offset(x), 3, dim=1)
        return torch.cat((o1, o2), dim=1), torch.sigmoid(mask)


def build_deform_conv(cfg: dict, in_channels: int, out_channels: int, kernel_size: int,
                      **kwargs) -> DeformConvPack:
    """A deformable conv from an mmdetection ``dcn`` config (``type`` 'DCN' or 'DCNv2',
    ``deform_groups``; ``fallback_on_stride`` is the caller's)."""
    cfg = dict(cfg)
    cfg.pop('fallback_on_stride', None)
    layer_type = cfg.pop('type')
    if layer_type not in ('DCN', 'DCNv2'):
        raise KeyError(f'dcn type {layer_type!r}: choose DCN or DCNv2')
    return MODELS.get(layer_type)(in_channels, out_channels, kernel_size, **cfg, **kwargs)
