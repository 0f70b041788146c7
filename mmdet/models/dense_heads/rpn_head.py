"""Region proposal network head (mmdetection's ``RPNHead``, same parameter names)."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import rescale_boxes
from mmdet.utils.config_keys import check_debug_off, check_keys
from ..layers import batched_nms, nms_iou_threshold

RPN_TRAIN_KEYS = ('assigner', 'sampler', 'allowed_border', 'pos_weight', 'debug')
PROPOSAL_KEYS = ('nms_pre', 'max_per_img', 'nms', 'min_bbox_size')


@MODELS.register_module()
class RPNHead(BaseModule):
    """A 3x3 conv + ReLU, then 1x1 convs for objectness (sigmoid) and box deltas.

    Channel ``a`` of ``rpn_cls`` scores anchor ``a`` of a location; channels
    ``4a .. 4a+3`` of ``rpn_reg`` are its deltas. Anchors are flattened (y, x, anchor).
    """

    def __init__(self,
                 in_channels: int,
                 feat_channels: int = 256,
                 anchor_generator: dict = dict(type='AnchorGenerator', scales=[8],
                                               ratios=[0.5, 1.0, 2.0],
                                               strides=[4, 8, 16, 32, 64]),
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder',
                                         target_means=(0., 0., 0., 0.),
                                         target_stds=(1.0, 1.0, 1.0, 1.0)),
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=True,
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=1.0),
                 num_classes: int = 1,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        if num_classes != 1:
            raise ValueError(f'RPNHead scores objectness only: num_classes must be 1, '
                             f'got {num_classes}')
        if not loss_cls.get('use_sigmoid', False):
            raise ValueError('RPNHead expects loss_cls with use_sigmoid=True')
        self.in_channels = in_channels
        self.feat_channels = feat_channels
        self.num_classes = num_classes
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.prior_generator = TASK_UTILS.build(anchor_generator)
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        check_keys(train_cfg, RPN_TRAIN_KEYS, 'model.train_cfg.rpn')
        check_debug_off(train_cfg, 'model.train_cfg.rpn')
        check_keys(test_cfg, PROPOSAL_KEYS, 'model.test_cfg.rpn')
        if test_cfg is not None:
            nms_iou_threshold(test_cfg['nms'])  # an unsupported NMS type fails here
        if train_cfg is not None:
            self.assigner = TASK_UTILS.build(train_cfg['assigner'])
            self.sampler = TASK_UTILS.build(train_cfg['sampler'])
        num_anchors = self.prior_generator.num_base_priors[0]
        self.num_base_priors = num_anchors
        self.rpn_conv = nn.Conv2d(in_channels, feat_channels, 3, padding=1)
        self.rpn_cls = nn.Conv2d(feat_channels, num_anchors, 1)
        self.rpn_reg = nn.Conv2d(feat_channels, num_anchors * 4, 1)

    # ------------------------------------------------------------------ forward
    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        x = F.relu(self.rpn_conv(x), inplace=True)  # the conv's output has no other use
        return self.rpn_cls(x), self.rpn_reg(x)

    def forward(self, feats: Sequence[Tensor]) -> Tuple[List[Tensor], List[Tensor]]:
        """Per level: objectness logits (B, A, h, w) and deltas (B, 4A, h, w)."""
        outs = [self.forward_single(x) for x in feats]
        return [o[0] for o in outs], [o[1] for o in outs]

    def _flatten_levels(self, cls_scores: List[Tensor], bbox_preds: List[Tensor]
                        ) -> Tuple[Tensor, Tensor]:
        """(B, sum_l h*w*A) logits and (B, sum_l h*w*A, 4) deltas, order (level, y, x, a)."""
        batch = cls_scores[0].shape[0]
        logits = torch.cat([s.permute(0, 2, 3, 1).reshape(batch, -1) for s in cls_scores], 1)
        deltas = torch.cat([d.permute(0, 2, 3, 1).reshape(batch, -1, 4) for d in bbox_preds], 1)
        return logits, deltas

    # --------------------------------------------------------------------- loss
    def loss_and_predict(self, feats: Sequence[Tensor], batch_data_samples: list,
                         proposal_cfg: Optional[dict] = None
                         ) -> Tuple[Dict[str, Tensor], List[InstanceData]]:
        cls_scores, bbox_preds = self(feats)
        losses = self.loss_by_feat(cls_scores, bbox_preds, batch_data_samples)
        metas = [s.metainfo for s in batch_data_samples]
        proposals = self.predict_by_feat([c.detach() for c in cls_scores],
                                         [b.detach() for b in bbox_preds], metas,
                                         proposal_cfg or self.test_cfg)
        return losses, proposals

    def loss(self, feats: Sequence[Tensor], batch_data_samples: list) -> Dict[str, Tensor]:
        cls_scores, bbox_preds = self(feats)
        return self.loss_by_feat(cls_scores, bbox_preds, batch_data_samples)

    def loss_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                     batch_data_samples: list) -> Dict[str, Tensor]:
        device = cls_scores[0].device
        featmap_sizes = [s.shape[-2:] for s in cls_scores]
        anchors = torch.cat(self.prior_generator.grid_priors(featmap_sizes, device=device), 0)
        labels, label_weights, bbox_targets, bbox_weights = [], [], [], []
        num_samples = 0
        for sample in batch_data_samples:
            target = self._targets_single(anchors, featmap_sizes, sample)
            labels.append(target[0])
            label_weights.append(target[1])
            bbox_targets.append(target[2])
            bbox_weights.append(target[3])
            num_samples += target[4]
        logits, deltas = self._flatten_levels(cls_scores, bbox_preds)
        avg_factor = max(num_samples, 1)
        # Objectness targets: 1 for anchors labelled foreground (label 0), 0 otherwise.
        objectness = (torch.stack(labels) == 0).to(logits.dtype)
        loss_cls = self.loss_cls(logits.reshape(-1), objectness.reshape(-1),
                                 torch.stack(label_weights).reshape(-1),
                                 avg_factor=avg_factor)
        loss_bbox = self.loss_bbox(deltas.reshape(-1, 4), torch.stack(bbox_targets).reshape(-1, 4),
                                   torch.stack(bbox_weights).reshape(-1, 4),
                                   avg_factor=avg_factor)
        return dict(loss_rpn_cls=loss_cls, loss_rpn_bbox=loss_bbox)

    def _targets_single(self, anchors: Tensor, featmap_sizes, sample):
        """Labels (0 fg, 1 bg), weights and regression targets for one image's anchors."""
        gt = sample.gt_instances
        meta = sample.metainfo
        valid = torch.cat(self.prior_generator.valid_flags(
            featmap_sizes, meta['pad_shape'][:2], device=anchors.device), 0)
        allowed_border = self.train_cfg.get('allowed_border', -1)
        if allowed_border >= 0:
            h, w = meta['img_shape'][:2]
            valid &= ((anchors[:, 0] >= -allowed_border) & (anchors[:, 1] >= -allowed_border)
                      & (anchors[:, 2] < w + allowed_border)
                      & (anchors[:, 3] < h + allowed_border))
        valid_anchors = anchors[valid]
        gt_labels = torch.zeros_like(gt.labels)  # RPN: every object is foreground
        ignored = sample.get('ignored_instances', None)
        gt_ignore = ignored.bboxes if ignored is not None and len(ignored) else None
        assign = self.assigner.assign(valid_anchors, gt.bboxes, gt_labels, gt_ignore)
        sampling = self.sampler.sample(assign, valid_anchors, gt.bboxes, gt_labels)

        num_valid = valid_anchors.shape[0]
        labels = anchors.new_full((num_valid,), self.num_classes, dtype=torch.long)
        label_weights = anchors.new_zeros(num_valid)
        bbox_targets = anchors.new_zeros(num_valid, 4)
        bbox_weights = anchors.new_zeros(num_valid, 4)
        pos, neg = sampling.pos_inds, sampling.neg_inds
        if pos.numel():
            bbox_targets[pos] = self.bbox_coder.encode(sampling.pos_priors,
                                                       sampling.pos_gt_bboxes)
            bbox_weights[pos] = 1.0
            labels[pos] = 0
            pos_weight = self.train_cfg.get('pos_weight', -1)
            label_weights[pos] = 1.0 if pos_weight <= 0 else pos_weight
        label_weights[neg] = 1.0
        return (_unmap(labels, valid, self.num_classes), _unmap(label_weights, valid),
                _unmap(bbox_targets, valid), _unmap(bbox_weights, valid),
                pos.numel() + neg.numel())

    # ------------------------------------------------------------------ predict
    def predict(self, feats: Sequence[Tensor], batch_data_samples: list,
                rescale: bool = False) -> List[InstanceData]:
        cls_scores, bbox_preds = self(feats)
        metas = [s.metainfo for s in batch_data_samples]
        return self.predict_by_feat(cls_scores, bbox_preds, metas, self.test_cfg,
                                    rescale=rescale)

    def predict_by_feat(self, cls_scores: List[Tensor], bbox_preds: List[Tensor],
                        batch_img_metas: List[dict], cfg: dict,
                        rescale: bool = False) -> List[InstanceData]:
        """Per image: top ``nms_pre`` anchors per level, decode, clip, drop empty
        boxes, NMS per level, keep the best ``max_per_img``."""
        featmap_sizes = [s.shape[-2:] for s in cls_scores]
        device = cls_scores[0].device
        anchors = self.prior_generator.grid_priors(featmap_sizes, dtype=cls_scores[0].dtype,
                                                   device=device)
        level_sizes = [a.shape[0] for a in anchors]
        anchors = torch.cat(anchors, 0)
        logits, deltas = self._flatten_levels(cls_scores, bbox_preds)
        scores = logits.sigmoid()
        level_starts = torch.tensor([0] + level_sizes, device=device).cumsum(0)
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            keep_inds, level_ids = [], []
            for lvl in range(len(level_sizes)):
                lvl_scores = scores[img_id, level_starts[lvl]:level_starts[lvl + 1]]
                order = lvl_scores.sort(descending=True)[1]
                if 0 < cfg['nms_pre'] < order.numel():
                    order = order[:cfg['nms_pre']]
                keep_inds.append(order + level_starts[lvl])
                level_ids.append(torch.full_like(order, lvl))
            keep_inds = torch.cat(keep_inds)
            results.append(self._bbox_post_process(
                scores[img_id, keep_inds], anchors[keep_inds], deltas[img_id, keep_inds],
                torch.cat(level_ids), meta, cfg, rescale))
        return results

    def _bbox_post_process(self, scores: Tensor, priors: Tensor, deltas: Tensor,
                           level_ids: Tensor, meta: dict, cfg: dict,
                           rescale: bool) -> InstanceData:
        boxes = self.bbox_coder.decode(priors, deltas, max_shape=meta['img_shape'])
        min_size = cfg.get('min_bbox_size', -1)
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        if min_size >= 0:
            valid = (w > min_size) & (h > min_size)
            if not valid.all():
                boxes, scores, level_ids = boxes[valid], scores[valid], level_ids[valid]
        keep = batched_nms(boxes, scores, level_ids, nms_iou_threshold(cfg['nms']))
        keep = keep[:cfg['max_per_img']]
        boxes, scores = boxes[keep], scores[keep]
        if rescale:
            boxes = rescale_boxes(boxes, meta['scale_factor'])
        result = InstanceData()
        result.bboxes = boxes
        result.scores = scores
        result.labels = scores.new_zeros(scores.shape[0], dtype=torch.long)
        return result


def _unmap(data: Tensor, valid: Tensor, fill=0) -> Tensor:
    """Scatter values of the valid anchors back into a tensor over all anchors."""
    out = data.new_full((valid.shape[0],) + data.shape[1:], fill)
    out[valid] = data
    return out
