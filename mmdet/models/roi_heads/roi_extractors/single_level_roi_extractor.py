"""RoIAlign on one FPN level per RoI, chosen by the RoI's scale."""
from typing import List, Optional, Sequence

import torch
from mmengine.model import BaseModule
from torch import Tensor
from torchvision.ops import roi_align

from mmdet.models.layers.roi_align_nhwc import multi_level_roi_align, supports_nhwc
from mmdet.registry import MODELS


def map_roi_levels(rois: Tensor, num_levels: int, finest_scale: int = 56) -> Tensor:
    """Level of each RoI: floor(log2(sqrt(w * h) / finest_scale + 1e-6)), clamped."""
    scale = torch.sqrt((rois[:, 3] - rois[:, 1]) * (rois[:, 4] - rois[:, 2]))
    levels = torch.floor(torch.log2(scale / finest_scale + 1e-6))
    return levels.clamp(min=0, max=num_levels - 1).long()


@MODELS.register_module()
class SingleRoIExtractor(BaseModule):
    """Pools ``(N, C, S, S)`` features for RoIs ``[batch_idx, x1, y1, x2, y2]``.

    ``roi_layer`` follows mmdetection: ``dict(type='RoIAlign', output_size=7,
    sampling_ratio=0, aligned=True)``. Channels-last float32 maps on the CPU are read in
    place by :func:`~mmdet.models.layers.roi_align_nhwc.multi_level_roi_align` (bit-equal
    to torchvision's); any other map runs through ``torchvision.ops.roi_align``.
    """

    def __init__(self, roi_layer: dict, out_channels: int, featmap_strides: Sequence[int],
                 finest_scale: int = 56, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        roi_layer = dict(roi_layer)
        layer_type = roi_layer.pop('type', 'RoIAlign')
        if layer_type != 'RoIAlign':
            raise KeyError(f"roi_layer type {layer_type!r} is not supported; use 'RoIAlign'")
        output_size = roi_layer.pop('output_size')
        self.output_size = ((output_size, output_size) if isinstance(output_size, int)
                            else tuple(output_size))
        self.sampling_ratio = int(roi_layer.pop('sampling_ratio', 0))
        self.aligned = bool(roi_layer.pop('aligned', True))
        roi_layer.pop('pool_mode', None)
        if roi_layer:
            raise KeyError(f'unknown roi_layer keys: {sorted(roi_layer)}')
        self.out_channels = out_channels
        self.featmap_strides = list(featmap_strides)
        self.finest_scale = finest_scale

    @property
    def num_inputs(self) -> int:
        return len(self.featmap_strides)

    def forward(self, feats: Sequence[Tensor], rois: Tensor) -> Tensor:
        feats = feats[:self.num_inputs]
        if rois.shape[0] == 0:
            return feats[0].new_zeros(0, self.out_channels, *self.output_size)
        rois = rois.to(feats[0].dtype)
        levels = (map_roi_levels(rois, self.num_inputs, self.finest_scale)
                  if self.num_inputs > 1 else rois.new_zeros(rois.shape[0], dtype=torch.long))
        if rois.device.type == 'cpu' and all(supports_nhwc(f) for f in feats):
            return multi_level_roi_align(feats, rois, levels, self.output_size,
                                         [1.0 / s for s in self.featmap_strides],
                                         self.sampling_ratio, self.aligned)
        out = feats[0].new_zeros(rois.shape[0], self.out_channels, *self.output_size)
        for lvl, (feat, stride) in enumerate(zip(feats, self.featmap_strides)):
            inds = torch.nonzero(levels == lvl, as_tuple=True)[0]
            if inds.numel() == 0:
                continue
            out[inds] = roi_align(feat, rois[inds], self.output_size, 1.0 / stride,
                                  self.sampling_ratio, self.aligned)
        return out


__all__: List[str] = ['SingleRoIExtractor', 'map_roi_levels']
