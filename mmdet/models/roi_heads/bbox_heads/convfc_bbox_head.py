"""Box head: shared fully connected layers, then classification and regression.

Parameter names follow mmdetection (``shared_fcs.{i}``, ``fc_cls``, ``fc_reg``) so
that its checkpoints load as they are.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import rescale_boxes
from ...layers import class_nms, nms_iou_threshold, score_candidates
from ...losses import accuracy


@MODELS.register_module()
class Shared2FCBBoxHead(BaseModule):
    """``num_shared_fcs`` fc + ReLU layers on flattened RoI features, then ``fc_cls``
    (``num_classes + 1`` logits, background last) and ``fc_reg`` (4 per class, or 4
    when ``reg_class_agnostic``)."""

    train_reg = True  # False: nothing the regression depends on learns (model.train_only)

    def __init__(self,
                 num_classes: int,
                 in_channels: int = 256,
                 roi_feat_size: int = 7,
                 fc_out_channels: int = 1024,
                 num_shared_fcs: int = 2,
                 reg_class_agnostic: bool = False,
                 reg_decoded_bbox: bool = False,
                 bbox_coder: dict = dict(type='DeltaXYWHBBoxCoder',
                                         target_means=(0., 0., 0., 0.),
                                         target_stds=(0.1, 0.1, 0.2, 0.2)),
                 loss_cls: dict = dict(type='CrossEntropyLoss', use_sigmoid=False,
                                       loss_weight=1.0),
                 loss_bbox: dict = dict(type='L1Loss', loss_weight=1.0),
                 init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
                        dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                        dict(type='Xavier', distribution='uniform',
                             override=dict(name='shared_fcs'))]
        super().__init__(init_cfg=init_cfg)
        if loss_cls.get('use_sigmoid', False):
            raise ValueError('Shared2FCBBoxHead uses a softmax classifier: '
                             'loss_cls must have use_sigmoid=False')
        if reg_decoded_bbox:
            raise ValueError('reg_decoded_bbox=True is not supported')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.roi_feat_size = roi_feat_size
        self.reg_class_agnostic = reg_class_agnostic
        self.bbox_coder = TASK_UTILS.build(bbox_coder)
        self.loss_cls = MODELS.build(loss_cls)
        self.loss_bbox = MODELS.build(loss_bbox)
        flat = in_channels * roi_feat_size * roi_feat_size
        dims = [flat] + [fc_out_channels] * num_shared_fcs
        self.shared_fcs = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.fc_cls = nn.Linear(dims[-1], num_classes + 1)
        self.fc_reg = nn.Linear(dims[-1], 4 if reg_class_agnostic else 4 * num_classes)

    def shared_features(self, roi_feats: Tensor) -> Tensor:
        """The input of the classifier: flattened RoI features through the shared fcs."""
        x = roi_feats.flatten(1)
        for fc in self.shared_fcs:
            x = F.relu(fc(x), inplace=True)
        return x

    def forward(self, roi_feats: Tensor) -> Tuple[Tensor, Tensor]:
        x = self.shared_features(roi_feats)
        return self.fc_cls(x), self.fc_reg(x)

    # --------------------------------------------------------------------- loss
    def get_targets(self, sampling_results: list, pos_weight: float = -1
                    ) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Labels (background = num_classes), label weights (``pos_weight`` for positives
        when > 0, else 1), encoded box targets and box weights for all sampled RoIs of
        the batch, positives first per image."""
        labels, label_weights, targets, weights = [], [], [], []
        for res in sampling_results:
            num_pos, num_neg = res.pos_priors.shape[0], res.neg_priors.shape[0]
            num = num_pos + num_neg
            lab = res.pos_priors.new_full((num,), self.num_classes, dtype=torch.long)
            lab[:num_pos] = res.pos_gt_labels
            tgt = res.pos_priors.new_zeros(num, 4)
            wgt = res.pos_priors.new_zeros(num, 4)
            if num_pos:
                tgt[:num_pos] = self.bbox_coder.encode(res.pos_priors, res.pos_gt_bboxes)
                wgt[:num_pos] = 1.0
            lab_weight = res.pos_priors.new_ones(num)
            if pos_weight > 0:
                lab_weight[:num_pos] = pos_weight
            labels.append(lab)
            label_weights.append(lab_weight)
            targets.append(tgt)
            weights.append(wgt)
        return torch.cat(labels), torch.cat(label_weights), torch.cat(targets), torch.cat(weights)

    def loss(self, cls_score: Tensor, bbox_pred: Tensor, sampling_results: list,
             pos_weight: float = -1) -> Dict[str, Tensor]:
        labels, label_weights, bbox_targets, bbox_weights = self.get_targets(
            sampling_results, pos_weight)
        losses = self.classification_losses(cls_score, labels, label_weights)
        if not self.train_reg:
            return losses
        pos = (labels >= 0) & (labels < self.num_classes)
        if pos.any():
            if self.reg_class_agnostic:
                pos_pred = bbox_pred.view(-1, 4)[pos]
            else:
                pos_pred = bbox_pred.view(bbox_pred.shape[0], -1, 4)[pos, labels[pos]]
            losses['loss_bbox'] = self.loss_bbox(pos_pred, bbox_targets[pos], bbox_weights[pos],
                                                 avg_factor=bbox_targets.shape[0])
        else:
            losses['loss_bbox'] = bbox_pred.sum() * 0
        return losses

    def classification_losses(self, cls_score: Tensor, labels: Tensor,
                              label_weights: Tensor) -> Dict[str, Tensor]:
        """``loss_cls`` (averaged over the RoIs of non-zero weight) and ``acc``."""
        avg_factor = max(float((label_weights > 0).sum()), 1.0)
        return dict(loss_cls=self.loss_cls(cls_score, labels, label_weights,
                                           avg_factor=avg_factor),
                    acc=accuracy(cls_score, labels))

    # ------------------------------------------------------------------ predict
    def class_scores(self, cls_score: Tensor) -> Tensor:
        """Class probabilities (background last) of the classifier's logits."""
        return F.softmax(cls_score, dim=-1)

    def predicted_labels(self, cls_score: Tensor) -> Tensor:
        """Each RoI's most likely foreground class."""
        return cls_score[:, :-1].argmax(dim=1)

    def predict_by_feat(self, rois: Tensor, cls_scores: Tensor, bbox_preds: Tensor,
                        batch_img_metas: List[dict], rcnn_test_cfg: Optional[dict],
                        rescale: bool = False,
                        scores: Optional[Tensor] = None) -> List[InstanceData]:
        """Detections per image from all images' RoIs (``rois[:, 0]`` = image index).

        ``scores`` replaces :meth:`class_scores` of ``cls_scores`` when given (e.g. calibrated scores).
        With ``rcnn_test_cfg=None`` the decoded boxes of every RoI are returned with the
        full score matrix, without NMS.
        """
        if scores is None:
            scores = self.class_scores(cls_scores)
        if rcnn_test_cfg is None:
            boxes = self._decode(rois, bbox_preds, batch_img_metas)
        results = []
        for img_id, meta in enumerate(batch_img_metas):
            inds = torch.nonzero(rois[:, 0] == img_id, as_tuple=True)[0]
            res = InstanceData()
            if rcnn_test_cfg is None:
                res.bboxes, res.scores = boxes[inds], scores[inds]
                if rescale and res.bboxes.numel():
                    res.bboxes = rescale_boxes(res.bboxes, meta['scale_factor'])
            else:
                # Decode only the (RoI, class) pairs above the threshold: with LVIS's
                # ~1,200 classes that is a small fraction of all the class-wise boxes.
                roi_inds, labels, det_scores = score_candidates(
                    scores[inds], rcnn_test_cfg['score_thr'])
                if self.reg_class_agnostic:
                    deltas = bbox_preds[inds[roi_inds]]
                else:  # gather the 4 deltas of each pair, not its RoI's 4 x C row
                    deltas = bbox_preds.view(bbox_preds.shape[0], -1, 4)[inds[roi_inds], labels]
                det_boxes = self._decode(rois[inds[roi_inds]], deltas, batch_img_metas)
                if rescale and det_boxes.numel():
                    det_boxes = rescale_boxes(det_boxes, meta['scale_factor'])
                keep = class_nms(det_boxes, det_scores, labels,
                                 nms_iou_threshold(rcnn_test_cfg['nms']),
                                 rcnn_test_cfg['max_per_img'])
                res.bboxes, res.scores = det_boxes[keep], det_scores[keep]
                res.labels, res.roi_inds = labels[keep], roi_inds[keep]
            results.append(res)
        return results

    def regress_by_class(self, rois: Tensor, labels: Tensor, bbox_preds: Tensor,
                         batch_img_metas: List[dict]) -> Tensor:
        """The RoIs ``(N, 5)`` moved by their regression, of class ``labels`` (ignored
        when class-agnostic), clipped to their images: a cascade's next-stage RoIs."""
        if not self.reg_class_agnostic:
            bbox_preds = bbox_preds.view(bbox_preds.shape[0], -1, 4)[
                torch.arange(bbox_preds.shape[0], device=bbox_preds.device), labels]
        return torch.cat([rois[:, :1], self._decode(rois, bbox_preds, batch_img_metas)], 1)

    def _decode(self, rois: Tensor, bbox_preds: Tensor, batch_img_metas: List[dict]) -> Tensor:
        """Decode deltas against the RoIs and clip each image's boxes to its img_shape."""
        if rois.shape[0] == 0:
            return rois.new_zeros(0, bbox_preds.shape[1])
        boxes = self.bbox_coder.decode(rois[:, 1:], bbox_preds, max_shape=None)
        offset = getattr(self.bbox_coder, 'size_offset', 0.)  # v1 clips to W - 1, H - 1
        limits = rois.new_tensor([[m['img_shape'][1] - offset, m['img_shape'][0] - offset]
                                  for m in batch_img_metas])[rois[:, 0].long()]
        boxes = boxes.view(boxes.shape[0], -1, 2)
        boxes = torch.minimum(boxes.clamp(min=0), limits[:, None, :])
        return boxes.view(rois.shape[0], -1)


__all__: Sequence[str] = ['Shared2FCBBoxHead']
