"""FCN mask head: convs, a 2x deconv and per-class (or one) mask logits.

Parameter names follow mmdetection: ``convs.{i}.conv``, ``upsample``, ``conv_logits``.
"""
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.registry import MODELS
from mmdet.structures.bbox import rescale_boxes
from mmdet.structures.mask import RoIMasks, mask_targets


@MODELS.register_module()
class FCNMaskHead(BaseModule):

    def __init__(self,
                 num_convs: int = 4,
                 roi_feat_size: int = 14,
                 in_channels: int = 256,
                 conv_kernel_size: int = 3,
                 conv_out_channels: int = 256,
                 num_classes: int = 80,
                 class_agnostic: bool = False,
                 scale_factor: int = 2,
                 conv_cfg: Optional[dict] = None,
                 norm_cfg: Optional[dict] = None,
                 loss_mask: dict = dict(type='CrossEntropyLoss', use_mask=True,
                                        loss_weight=1.0),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.num_classes = num_classes
        self.class_agnostic = class_agnostic
        self.conv_out_channels = conv_out_channels
        self.conv_cfg, self.norm_cfg = conv_cfg, norm_cfg
        self.roi_feat_size = roi_feat_size
        self.convs = nn.ModuleList(
            ConvModule(in_channels if i == 0 else conv_out_channels, conv_out_channels,
                       conv_kernel_size, padding=(conv_kernel_size - 1) // 2,
                       conv_cfg=conv_cfg, norm_cfg=norm_cfg)
            for i in range(num_convs))
        last = conv_out_channels if num_convs > 0 else in_channels
        self.upsample = nn.ConvTranspose2d(last, conv_out_channels, scale_factor,
                                           stride=scale_factor)
        self.conv_logits = nn.Conv2d(conv_out_channels, 1 if class_agnostic else num_classes, 1)
        self.loss_mask = MODELS.build(loss_mask)

    def init_weights(self) -> None:
        super().init_weights()
        if self.init_cfg is None:
            for m in (self.upsample, self.conv_logits):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
                nn.init.constant_(m.bias, 0)

    @property
    def mask_size(self) -> int:
        return self.roi_feat_size * self.upsample.stride[0]

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        """Mask logits ``(N, C, h, w)`` of all classes, or with ``labels`` (N,) only each
        RoI's own class ``(N, 1, h, w)``: the same numbers (up to float rounding) for a
        fraction of the 1x1 output conv's cost, which with LVIS's 1,203-1,230 classes
        would be a third of the head's work and its largest tensor."""
        for conv in self.convs:
            x = conv(x)
        return self.logits(x, labels)

    def logits(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        """The upsampling and the 1x1 output conv on the convs' features (one channel per
        RoI with ``labels``)."""
        x = F.relu(self.upsample(x), inplace=True)
        if labels is None or self.class_agnostic:
            return self.conv_logits(x)
        weight = self.conv_logits.weight.flatten(1)[labels]  # (N, C_in)
        bias = self.conv_logits.bias[labels]
        logits = torch.bmm(weight[:, None, :], x.flatten(2)).view(x.shape[0], 1, *x.shape[2:])
        return logits + bias[:, None, None, None]

    def loss(self, mask_preds: Tensor, sampling_results: list, batch_gt_instances: list
             ) -> Dict[str, Tensor]:
        targets = torch.cat([
            mask_targets(gt.masks, res.pos_priors, res.pos_gt_inds, self.mask_size)
            for res, gt in zip(sampling_results, batch_gt_instances)])
        labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        if mask_preds.shape[0] == 0:
            return dict(loss_mask=mask_preds.sum() * 0)
        if self.class_agnostic or mask_preds.shape[1] == 1:  # one channel: the RoI's own
            labels = torch.zeros_like(labels)
        return dict(loss_mask=self.loss_mask(mask_preds, targets, labels))

    def predict_by_feat(self, mask_preds: Tensor, results_list: List[InstanceData],
                        batch_img_metas: List[dict], rcnn_test_cfg: dict,
                        rescale: bool = False, activated: bool = False
                        ) -> List[InstanceData]:
        """Each detection's class channel as probabilities (``mask_preds`` are logits, or
        with ``activated`` already probabilities), kept as :class:`RoIMasks` over its box
        in the (original, with ``rescale``) image: pasting happens when a consumer asks
        for RLEs or bitmaps."""
        start = 0
        for results, meta in zip(results_list, batch_img_metas):
            num = results.bboxes.shape[0]
            logits = mask_preds[start:start + num]
            start += num
            channel = (torch.zeros_like(results.labels)
                       if self.class_agnostic or logits.shape[1] == 1 else results.labels)
            probs = logits[torch.arange(num, device=logits.device), channel]
            if not activated:
                probs = probs.sigmoid()
            if rescale:
                results.bboxes = rescale_boxes(results.bboxes, meta['scale_factor'])
            image_size = meta['ori_shape' if rescale else 'img_shape'][:2]
            results.masks = RoIMasks(probs, results.bboxes, image_size,
                                     rcnn_test_cfg.get('mask_thr_binary', 0.5))
        return results_list
