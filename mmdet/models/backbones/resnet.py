"""ResNet backbone as in mmdetection 3.x.

Module and parameter names are those of mmdetection and torchvision (``conv1``, ``bn1``,
``layer1.0.conv1``, ``layer1.0.downsample.0``, ...), so mmdetection checkpoints and
torchvision ImageNet state dicts (``init_cfg=dict(type='Pretrained', checkpoint=...)``)
load as they are; torchvision's ``fc.*`` keys are reported as unexpected and ignored.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Type, Union

import torch.nn as nn
import torch.utils.checkpoint as cp
from mmcv.cnn import build_conv_layer, build_norm_layer
from mmengine.model import BaseModule, Sequential
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.registry import MODELS
from ..layers import conv_then_norm, fold_norm_into_conv
from ..layers.deform_conv import DeformConvPack, build_deform_conv
from ..layers.fused_conv import conv_add_relu

OptConfig = Optional[dict]
MultiConfig = Union[dict, List[dict], None]


class _ResBlock(BaseModule):
    """What both residual blocks share: the residual sum, ReLU and checkpointing."""

    expansion: int = 1

    # Set by subclasses: relu, downsample (None or conv1x1 + norm).
    relu: nn.Module
    downsample: Optional[nn.Module]

    def __init__(self, with_cp: bool = False, init_cfg: MultiConfig = None) -> None:
        super().__init__(init_cfg)
        self.with_cp = with_cp

    def _residual_features(self, x: Tensor) -> Tensor:  # by BasicBlock and Bottleneck
        """The residual branch up to its last conv (that conv's input)."""
        raise TypeError(f'{type(self).__name__} must define _residual_features')

    def _last_conv_and_norm(self) -> Tuple[nn.Module, Optional[nn.Module]]:
        conv_name, norm_name = self.conv_norm_pairs()[-1]
        return getattr(self, conv_name), getattr(self, norm_name)

    def _identity(self, x: Tensor) -> Tensor:
        if self.downsample is None:
            return x
        if isinstance(self.downsample, nn.Sequential) and len(self.downsample) == 2:
            return conv_then_norm(self.downsample[0], self.downsample[1], x)
        return self.downsample(x)

    def conv_norm_pairs(self) -> List[Tuple[str, str]]:
        """(conv, norm) attribute names, norm applied right after conv."""
        return [(f'conv{i}', getattr(self, f'norm{i}_name'))
                for i in range(1, 4) if hasattr(self, f'norm{i}_name')]

    def _inner_forward(self, x: Tensor) -> Tensor:
        identity = self._identity(x)
        conv, norm = self._last_conv_and_norm()
        return conv_then_norm(conv, norm, self._residual_features(x)) + identity

    def forward(self, x: Tensor) -> Tensor:
        if self.with_cp and x.requires_grad:
            return self.relu(cp.checkpoint(self._inner_forward, x, use_reentrant=False))
        identity = self._identity(x)
        features = self._residual_features(x)
        conv, norm = self._last_conv_and_norm()
        if norm is None or isinstance(norm, nn.Identity):  # folded: the conv, the sum and
            fused = conv_add_relu(conv, features, identity)  # the ReLU in one call
            if fused is not None:
                return fused
        return self.relu(conv_then_norm(conv, norm, features) + identity)


class BasicBlock(_ResBlock):
    """Two 3x3 convs (ResNet-18/34). The stride is on the first conv; ``style`` is
    accepted for a uniform interface and has no effect."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False, conv_cfg: OptConfig = None,
                 norm_cfg: dict = dict(type='BN'), init_cfg: MultiConfig = None) -> None:
        super().__init__(with_cp, init_cfg)
        assert style in ('pytorch', 'caffe'), style
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, planes, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, planes, postfix=2)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, planes, 3, stride=stride,
                                      padding=dilation, dilation=dilation, bias=False)
        self.add_module(self.norm1_name, norm1)
        self.conv2 = build_conv_layer(conv_cfg, planes, planes, 3, padding=1, bias=False)
        self.add_module(self.norm2_name, norm2)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride, self.dilation = stride, dilation

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    def _residual_features(self, x: Tensor) -> Tensor:
        return self.relu(conv_then_norm(self.conv1, self.norm1, x))


class Bottleneck(_ResBlock):
    """1x1 -> 3x3 -> 1x1 (ResNet-50/101/152). ``style='pytorch'`` puts the stride on
    the 3x3 conv (torchvision, "ResNet v1.5"), ``'caffe'`` on the first 1x1 conv.

    ResNeXt: with ``groups > 1`` the 3x3 conv is grouped and the block is
    ``floor(planes * base_width / base_channels) * groups`` wide (mmdetection's rule).
    ``dcn`` (e.g. ``dict(type='DCN', deform_groups=1, fallback_on_stride=False)``) makes
    the 3x3 conv deformable, unless ``fallback_on_stride`` is set (then it stays plain)."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False, conv_cfg: OptConfig = None,
                 norm_cfg: dict = dict(type='BN'), dcn: OptConfig = None, groups: int = 1,
                 base_width: int = 4, base_channels: int = 64,
                 init_cfg: MultiConfig = None) -> None:
        super().__init__(with_cp, init_cfg)
        assert style in ('pytorch', 'caffe'), style
        width = planes if groups == 1 else math.floor(planes * base_width / base_channels) * groups
        self.conv1_stride, self.conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, width, postfix=1)
        self.norm2_name, norm2 = build_norm_layer(norm_cfg, width, postfix=2)
        self.norm3_name, norm3 = build_norm_layer(norm_cfg, planes * self.expansion, postfix=3)
        self.conv1 = build_conv_layer(conv_cfg, inplanes, width, 1, stride=self.conv1_stride,
                                      bias=False)
        self.add_module(self.norm1_name, norm1)
        conv2 = dict(stride=self.conv2_stride, padding=dilation, dilation=dilation,
                     groups=groups, bias=False)
        if dcn is not None and not dcn.get('fallback_on_stride', False):
            if conv_cfg is not None:
                raise ValueError('conv_cfg must be None for a DCN backbone')
            self.conv2 = build_deform_conv(dcn, width, width, 3, **conv2)
        else:
            self.conv2 = build_conv_layer(conv_cfg, width, width, 3, **conv2)
        self.add_module(self.norm2_name, norm2)
        self.conv3 = build_conv_layer(conv_cfg, width, planes * self.expansion, 1, bias=False)
        self.add_module(self.norm3_name, norm3)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride, self.dilation, self.style = stride, dilation, style

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    @property
    def norm2(self) -> nn.Module:
        return getattr(self, self.norm2_name)

    @property
    def norm3(self) -> nn.Module:
        return getattr(self, self.norm3_name)

    def _residual_features(self, x: Tensor) -> Tensor:
        out = self.relu(conv_then_norm(self.conv1, self.norm1, x))
        return self.relu(conv_then_norm(self.conv2, self.norm2, out))


class ResLayer(Sequential):
    """One stage: ``num_blocks`` blocks, the first one strided and with a
    conv1x1 + norm ``downsample`` branch when the shape changes."""

    def __init__(self, block: Type[_ResBlock], inplanes: int, planes: int, num_blocks: int,
                 stride: int = 1, conv_cfg: OptConfig = None,
                 norm_cfg: dict = dict(type='BN'), **block_kwargs) -> None:
        out_planes = planes * block.expansion
        downsample = None
        if stride != 1 or inplanes != out_planes:
            downsample = nn.Sequential(
                build_conv_layer(conv_cfg, inplanes, out_planes, 1, stride=stride, bias=False),
                build_norm_layer(norm_cfg, out_planes)[1])
        blocks = [block(inplanes, planes, stride=stride, downsample=downsample,
                        conv_cfg=conv_cfg, norm_cfg=norm_cfg, **block_kwargs)]
        blocks += [block(out_planes, planes, stride=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                         **block_kwargs) for _ in range(1, num_blocks)]
        super().__init__(*blocks)


@MODELS.register_module()
class ResNet(BaseModule):
    """ResNet backbone returning the feature maps of the stages in ``out_indices``.

    Args:
        depth: 18, 34, 50, 101 or 152.
        in_channels: input image channels.
        stem_channels: output channels of the 7x7 stem conv (``base_channels`` if None).
        base_channels: width of the first stage; stage i outputs
            ``base_channels * 2**i * block.expansion`` channels.
        num_stages: number of stages (1-4).
        strides, dilations: per-stage stride and dilation of the first block.
        out_indices: stages whose outputs are returned (0-based).
        style: 'pytorch' (stride on the 3x3 conv) or 'caffe' (on the first 1x1 conv).
        frozen_stages: -1 freezes nothing, 0 the stem, k the stem and stages 1..k
            (parameters stop requiring grad; those modules stay in eval mode).
        conv_cfg, norm_cfg: mmcv conv / norm configs (BN, GN, SyncBN, FrozenBN, ...).
        norm_eval: keep every BatchNorm in eval mode (running statistics) when training.
        with_cp: trade compute for memory with ``torch.utils.checkpoint`` in each block.
        zero_init_residual: zero the last norm of each block in the default init.
        init_cfg: mmengine init config; None gives Kaiming convs and unit norms.
    """

    arch_settings: Dict[int, Tuple[Type[_ResBlock], Tuple[int, ...]]] = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3)),
    }

    def __init__(self, depth: int, in_channels: int = 3, stem_channels: Optional[int] = None,
                 base_channels: int = 64, num_stages: int = 4,
                 strides: Sequence[int] = (1, 2, 2, 2), dilations: Sequence[int] = (1, 1, 1, 1),
                 out_indices: Sequence[int] = (0, 1, 2, 3), style: str = 'pytorch',
                 deep_stem: bool = False, avg_down: bool = False, frozen_stages: int = -1,
                 conv_cfg: OptConfig = None,
                 norm_cfg: dict = dict(type='BN', requires_grad=True), norm_eval: bool = True,
                 with_cp: bool = False, zero_init_residual: bool = True,
                 dcn: OptConfig = None,
                 stage_with_dcn: Sequence[bool] = (False, False, False, False),
                 init_cfg: MultiConfig = None) -> None:
        super().__init__(init_cfg)
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for {type(self).__name__}, '
                           f'choose from {sorted(self.arch_settings)}')
        if deep_stem or avg_down:
            raise ValueError('deep_stem and avg_down (ResNetV1d) are not supported; '
                             'set both to False')
        assert 1 <= num_stages <= 4, num_stages
        assert len(strides) == len(dilations) == num_stages, (strides, dilations)
        assert max(out_indices) < num_stages, out_indices
        assert style in ('pytorch', 'caffe'), style
        if dcn is not None and len(stage_with_dcn) != num_stages:
            raise ValueError(f'stage_with_dcn {tuple(stage_with_dcn)} needs one flag per '
                             f'stage ({num_stages})')
        self.block, stage_blocks = self.arch_settings[depth]
        if dcn is not None and self.block is BasicBlock and any(stage_with_dcn):
            raise ValueError(f'DCN needs Bottleneck blocks (depth 50 or more), not depth {depth}')
        self.depth = depth
        self.stem_channels = base_channels if stem_channels is None else stem_channels
        self.base_channels = base_channels
        self.num_stages = num_stages
        self.strides, self.dilations = tuple(strides), tuple(dilations)
        self.out_indices = tuple(out_indices)
        self.style = style
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.zero_init_residual = zero_init_residual

        block_init_cfg = None
        if init_cfg is None:
            self.init_cfg = [dict(type='Kaiming', layer='Conv2d'),
                             dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm'])]
            if zero_init_residual:
                last_norm = 'norm2' if self.block is BasicBlock else 'norm3'
                block_init_cfg = dict(type='Constant', val=0, override=dict(name=last_norm))

        # Stem: conv7x7/2 + norm + ReLU + maxpool3x3/2.
        self.conv1 = build_conv_layer(conv_cfg, in_channels, self.stem_channels, 7, stride=2,
                                      padding=3, bias=False)
        self.norm1_name, norm1 = build_norm_layer(norm_cfg, self.stem_channels, postfix=1)
        self.add_module(self.norm1_name, norm1)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.res_layers: List[str] = []
        inplanes = self.stem_channels
        self.out_channels: List[int] = []
        for i in range(num_stages):
            planes = base_channels * 2**i
            block_kwargs = self.block_options()
            if dcn is not None and stage_with_dcn[i]:
                block_kwargs['dcn'] = dcn
            layer = ResLayer(self.block, inplanes, planes, stage_blocks[i], stride=strides[i],
                             dilation=dilations[i], style=style, with_cp=with_cp,
                             conv_cfg=conv_cfg, norm_cfg=norm_cfg, init_cfg=block_init_cfg,
                             **block_kwargs)
            inplanes = planes * self.block.expansion
            self.out_channels.append(inplanes)
            name = f'layer{i + 1}'
            self.add_module(name, layer)
            self.res_layers.append(name)
        self.feat_dim = inplanes
        self._freeze_stages()

    @property
    def norm1(self) -> nn.Module:
        return getattr(self, self.norm1_name)

    def block_options(self) -> dict:
        """Extra arguments of every block (ResNeXt's groups and widths)."""
        return {}

    def init_weights(self) -> None:
        """The configured init; deformable convs then start with zero offsets (a plain
        conv) unless pretrained weights were loaded."""
        super().init_weights()
        pretrained = any(isinstance(c, dict) and c.get('type') == 'Pretrained'
                         for c in (self.init_cfg if isinstance(self.init_cfg, list)
                                   else [self.init_cfg]))
        if not pretrained:
            for module in self.modules():
                if isinstance(module, DeformConvPack):
                    module.init_offset()

    def _freeze_stages(self) -> None:
        frozen: List[nn.Module] = []
        if self.frozen_stages >= 0:
            frozen += [self.conv1, self.norm1]
        frozen += [getattr(self, f'layer{i}') for i in range(1, self.frozen_stages + 1)]
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.maxpool(self.relu(conv_then_norm(self.conv1, self.norm1, x)))
        outs = []
        for i, name in enumerate(self.res_layers):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def fold_norms(self) -> int:
        """Fold every BatchNorm into the conv before it, for inference only: the
        outputs stay the same up to float rounding, the norms become ``Identity`` and
        the state dict changes (no norm keys, conv biases). Returns the number folded."""
        pairs = [(self, 'conv1', self.norm1_name)]
        for name in self.res_layers:
            for block in getattr(self, name):
                pairs += [(block, conv, norm) for conv, norm in block.conv_norm_pairs()]
                if block.downsample is not None:
                    pairs.append((block.downsample, '0', '1'))
        folded = 0
        for owner, conv_name, norm_name in pairs:
            norm = getattr(owner, norm_name)
            if isinstance(norm, _BatchNorm):
                fold_norm_into_conv(getattr(owner, conv_name), norm)
                setattr(owner, norm_name, nn.Identity())
                folded += 1
        return folded

    def train(self, mode: bool = True) -> 'ResNet':
        """Set the mode, then re-freeze frozen stages and, with ``norm_eval``, every BN."""
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self


@MODELS.register_module()
class ResNeXt(ResNet):
    """ResNeXt (Xie et al. 2017) as in mmdetection: ``groups`` x ``base_width``
    (32x4d: ``groups=32, base_width=4``; 64x4d: 64, 4) grouped 3x3 convs in Bottleneck
    blocks; the other arguments, DCN included, are :class:`ResNet`'s."""

    arch_settings = {depth: setting for depth, setting in ResNet.arch_settings.items()
                     if depth >= 50}

    def __init__(self, groups: int = 1, base_width: int = 4, **kwargs) -> None:
        self.groups, self.base_width = groups, base_width
        super().__init__(**kwargs)

    def block_options(self) -> dict:
        return dict(groups=self.groups, base_width=self.base_width,
                    base_channels=self.base_channels)
