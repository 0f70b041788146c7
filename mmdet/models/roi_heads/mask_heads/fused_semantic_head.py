"""HTC's semantic branch (mmdetection's ``FusedSemanticHead``): the FPN levels, each
through a 1x1 conv, resized to the fusion level and summed, then 3x3 convs; a 1x1 conv
predicts the semantic segmentation (trained on stuff-style maps, when given) and another
gives the semantic features the RoI heads add to their RoI features."""
from typing import Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet.registry import MODELS


@MODELS.register_module()
class FusedSemanticHead(BaseModule):

    def __init__(self, num_ins: int, fusion_level: int, seg_scale_factor: float = 1 / 8,
                 num_convs: int = 4, in_channels: int = 256, conv_out_channels: int = 256,
                 num_classes: int = 183, conv_cfg=None, norm_cfg=None,
                 loss_seg: dict = dict(type='CrossEntropyLoss', ignore_index=255,
                                       loss_weight=0.2),
                 init_cfg=dict(type='Kaiming', override=dict(name='conv_logits'))) -> None:
        super().__init__(init_cfg=init_cfg)
        if not 0 <= fusion_level < num_ins:
            raise ValueError(f'fusion_level {fusion_level} is not one of the {num_ins} inputs')
        if loss_seg.get('type', 'CrossEntropyLoss') != 'CrossEntropyLoss':
            raise ValueError(f'loss_seg: only CrossEntropyLoss, got {loss_seg}')
        self.fusion_level, self.seg_scale_factor = fusion_level, seg_scale_factor
        self.num_classes = num_classes
        self.ignore_index = loss_seg.get('ignore_index', 255)
        self.loss_weight = loss_seg.get('loss_weight', 0.2)
        self.lateral_convs = nn.ModuleList(
            ConvModule(in_channels, in_channels, 1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                       inplace=False) for _ in range(num_ins))
        self.convs = nn.ModuleList(
            ConvModule(in_channels if i == 0 else conv_out_channels, conv_out_channels, 3,
                       padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg)
            for i in range(num_convs))
        self.conv_embedding = ConvModule(conv_out_channels, conv_out_channels, 1,
                                         conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.conv_logits = nn.Conv2d(conv_out_channels, num_classes, 1)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """Semantic logits and semantic features, both at the fusion level's size."""
        x = self.lateral_convs[self.fusion_level](feats[self.fusion_level])
        size = tuple(x.shape[-2:])
        for i, feat in enumerate(feats):
            if i != self.fusion_level:
                feat = F.interpolate(feat, size=size, mode='bilinear', align_corners=True)
                x = x + self.lateral_convs[i](feat)
        for conv in self.convs:
            x = conv(x)
        return self.conv_logits(x), self.conv_embedding(x)

    def loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        """Cross-entropy against ``labels`` ``(N, H, W)`` (the padded image's semantic
        map, ``ignore_index`` where unlabelled), taken at ``seg_scale_factor``."""
        labels = F.interpolate(labels[:, None].float(), scale_factor=self.seg_scale_factor,
                               mode='nearest')[:, 0].long()
        return self.loss_weight * F.cross_entropy(logits, labels,
                                                  ignore_index=self.ignore_index)
