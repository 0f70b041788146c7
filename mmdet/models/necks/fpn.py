"""Feature Pyramid Network (Lin et al., 2017) as in mmdetection 3.x."""
from typing import List, Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmdet.registry import MODELS
from ..layers.fused_conv import conv_add

OptConfig = Optional[dict]
MultiConfig = Union[dict, List[dict], None]


@MODELS.register_module()
class FPN(BaseModule):
    """FPN: 1x1 lateral convs, a top-down pathway and 3x3 output convs.

    Args:
        in_channels: channels of each backbone level given to ``forward``.
        out_channels: channels of every output level.
        num_outs: number of outputs; levels beyond the used backbone levels are extra.
        start_level, end_level: first and last (inclusive, -1 = last) backbone level used.
        add_extra_convs: how extra levels are made. False: max-pool (kernel 1, stride 2)
            of the last output (Mask R-CNN's P6). Otherwise 3x3/2 convs, the first one
            on 'on_input' (the last used backbone level; True means this), 'on_lateral'
            (its lateral) or 'on_output' (the last output), the next ones chained.
        relu_before_extra_convs: apply ReLU before the 2nd, 3rd, ... extra conv.
        no_norm_on_lateral: no norm on the lateral convs even when ``norm_cfg`` is set.
        conv_cfg, norm_cfg, act_cfg: mmcv ConvModule configs (no norm, no activation
            by default).
        upsample_cfg: ``F.interpolate`` kwargs. Without ``scale_factor`` the coarser map
            is resized to the size of the finer one.
        init_cfg: mmengine init config; Xavier-uniform convs by default.

    Parameters are named ``lateral_convs.{i}.conv.*`` and ``fpn_convs.{i}.conv.*``
    (extra convs continue the ``fpn_convs`` numbering), as in mmdetection.
    """

    def __init__(self, in_channels: Sequence[int], out_channels: int, num_outs: int,
                 start_level: int = 0, end_level: int = -1,
                 add_extra_convs: Union[bool, str] = False,
                 relu_before_extra_convs: bool = False, no_norm_on_lateral: bool = False,
                 conv_cfg: OptConfig = None, norm_cfg: OptConfig = None,
                 act_cfg: OptConfig = None, upsample_cfg: dict = dict(mode='nearest'),
                 init_cfg: MultiConfig = dict(type='Xavier', layer='Conv2d',
                                              distribution='uniform')) -> None:
        super().__init__(init_cfg)
        self.in_channels = list(in_channels)
        self.out_channels = out_channels
        self.num_ins = len(self.in_channels)
        self.num_outs = num_outs
        self.relu_before_extra_convs = relu_before_extra_convs
        self.no_norm_on_lateral = no_norm_on_lateral
        self.upsample_cfg = dict(upsample_cfg)

        if end_level in (-1, self.num_ins - 1):
            self.backbone_end_level = self.num_ins  # exclusive
            assert num_outs >= self.num_ins - start_level, (num_outs, start_level)
        else:  # not the last backbone level: no extra levels
            assert 0 <= end_level < self.num_ins, end_level
            self.backbone_end_level = end_level + 1
            assert num_outs == end_level - start_level + 1, (num_outs, start_level, end_level)
        self.start_level, self.end_level = start_level, end_level

        if isinstance(add_extra_convs, str):
            assert add_extra_convs in ('on_input', 'on_lateral', 'on_output'), add_extra_convs
        elif add_extra_convs is True:
            add_extra_convs = 'on_input'
        else:
            assert add_extra_convs is False, add_extra_convs
        self.add_extra_convs = add_extra_convs

        self.lateral_convs = nn.ModuleList()
        self.fpn_convs = nn.ModuleList()
        for i in range(start_level, self.backbone_end_level):
            self.lateral_convs.append(ConvModule(
                self.in_channels[i], out_channels, 1, conv_cfg=conv_cfg,
                norm_cfg=None if no_norm_on_lateral else norm_cfg, act_cfg=act_cfg,
                inplace=False))
            self.fpn_convs.append(ConvModule(
                out_channels, out_channels, 3, padding=1, conv_cfg=conv_cfg,
                norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False))

        num_extra = num_outs - self.backbone_end_level + start_level
        if add_extra_convs:
            for i in range(num_extra):
                in_ch = (self.in_channels[self.backbone_end_level - 1]
                         if i == 0 and add_extra_convs == 'on_input' else out_channels)
                self.fpn_convs.append(ConvModule(
                    in_ch, out_channels, 3, stride=2, padding=1, conv_cfg=conv_cfg,
                    norm_cfg=norm_cfg, act_cfg=act_cfg, inplace=False))

    def _lateral_plus(self, level: int, x: Tensor, up: Tensor) -> Tensor:
        """``lateral_convs[level](x) + up``; at inference one fused call where the lateral
        is a bare conv (bit-equal, see ``layers.fused_conv``)."""
        lateral = self.lateral_convs[level]
        if not (lateral.with_norm or lateral.with_activation):
            fused = conv_add(lateral.conv, x, up)
            if fused is not None:
                return fused
        return lateral(x) + up

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor, ...]:
        assert len(inputs) == self.num_ins, (len(inputs), self.num_ins)
        num_used = len(self.lateral_convs)
        laterals = [None] * num_used
        laterals[-1] = self.lateral_convs[-1](inputs[num_used - 1 + self.start_level])

        # Top-down: upsample the coarser level and add it to the finer one's lateral.
        for i in range(num_used - 1, 0, -1):
            x = inputs[i - 1 + self.start_level]
            if 'scale_factor' in self.upsample_cfg:
                up = F.interpolate(laterals[i], **self.upsample_cfg)
            else:
                up = F.interpolate(laterals[i], size=x.shape[2:], **self.upsample_cfg)
            laterals[i - 1] = self._lateral_plus(i - 1, x, up)

        outs = [self.fpn_convs[i](laterals[i]) for i in range(num_used)]

        # Extra levels.
        if self.num_outs > num_used:
            if not self.add_extra_convs:
                for _ in range(self.num_outs - num_used):
                    outs.append(F.max_pool2d(outs[-1], 1, stride=2))
            else:
                source = {'on_input': inputs[self.backbone_end_level - 1],
                          'on_lateral': laterals[-1],
                          'on_output': outs[-1]}[self.add_extra_convs]
                outs.append(self.fpn_convs[num_used](source))
                for i in range(num_used + 1, self.num_outs):
                    x = F.relu(outs[-1]) if self.relu_before_extra_convs else outs[-1]
                    outs.append(self.fpn_convs[i](x))
        return tuple(outs)
