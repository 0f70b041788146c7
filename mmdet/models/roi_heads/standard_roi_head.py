"""Mask R-CNN's second stage: box and mask branches on pooled RoI features."""
from typing import Dict, List, Optional, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox2roi
from mmdet.utils.config_keys import check_debug_off, check_keys
from ..layers import nms_iou_threshold
from .score_modes import PRED_FIELD, ModeSpec, ScoreModes

RCNN_TRAIN_KEYS = ('assigner', 'sampler', 'mask_size', 'pos_weight', 'debug')
RCNN_TEST_KEYS = ('score_thr', 'nms', 'max_per_img', 'mask_thr_binary')


@MODELS.register_module()
class StandardRoIHead(ScoreModes, BaseModule):
    """Box and mask branches on pooled RoI features; ``inference_mode``, ``norcal`` and
    ``tau_norm`` say how the RoIs are scored at test time (see :mod:`.score_modes`)."""

    def __init__(self,
                 bbox_roi_extractor: dict,
                 bbox_head: dict,
                 mask_roi_extractor: Optional[dict] = None,
                 mask_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 inference_mode: ModeSpec = 'orig',
                 norcal: Optional[dict] = None,
                 tau_norm: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.init_score_modes(inference_mode, norcal, tau_norm)
        check_keys(train_cfg, RCNN_TRAIN_KEYS, 'model.train_cfg.rcnn')
        check_debug_off(train_cfg, 'model.train_cfg.rcnn')
        check_keys(test_cfg, RCNN_TEST_KEYS, 'model.test_cfg.rcnn')
        if test_cfg is not None:
            nms_iou_threshold(test_cfg['nms'])  # an unsupported NMS type fails here
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_head = MODELS.build(bbox_head)
        if mask_head is not None:
            self.mask_roi_extractor = MODELS.build(mask_roi_extractor or bbox_roi_extractor)
            self.mask_head = MODELS.build(mask_head)
            size = (train_cfg or {}).get('mask_size', self.mask_head.mask_size)
            if size != self.mask_head.mask_size:
                raise ValueError(f'model.train_cfg.rcnn.mask_size={size}, but the mask head '
                                 f'predicts {self.mask_head.mask_size}x'
                                 f'{self.mask_head.mask_size} masks (roi_feat_size x the '
                                 'upsampling factor): the mask targets must match them')
        if train_cfg is not None:
            self.bbox_assigner = TASK_UTILS.build(train_cfg['assigner'])
            self.bbox_sampler = TASK_UTILS.build(train_cfg['sampler'])

    # False: the head is frozen (model.train_only) and computes no loss
    train_mask = True
    train_semantic = True  # HTC's semantic head

    @property
    def with_mask(self) -> bool:
        return hasattr(self, 'mask_head') and self.mask_head is not None

    # ------------------------------------------------------------------ features
    def bbox_forward(self, feats: Tuple[Tensor], rois: Tensor) -> Dict[str, Tensor]:
        roi_feats = self.bbox_roi_extractor(feats, rois)
        cls_score, bbox_pred = self.bbox_head(roi_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=roi_feats)

    def mask_forward(self, feats: Tuple[Tensor], rois: Tensor,
                     labels: Optional[Tensor] = None) -> Tensor:
        """Mask logits of the RoIs: of every class, or of ``labels`` only (one channel)."""
        return self.mask_head(self.mask_roi_extractor(feats, rois), labels)

    # --------------------------------------------------------------------- loss
    def sample_rois(self, rpn_results_list: List[InstanceData], batch_data_samples: list,
                    assigner=None, sampler=None) -> list:
        """Assign each image's proposals to its ground truth and sample RoIs, with the
        head's own assigner and sampler unless others are given (e.g. calibration's)."""
        assigner = assigner or self.bbox_assigner
        sampler = sampler or self.bbox_sampler
        results = []
        for proposals, sample in zip(rpn_results_list, batch_data_samples):
            gt = sample.gt_instances
            ignored = sample.get('ignored_instances', None)
            gt_ignore = ignored.bboxes if ignored is not None and len(ignored) else None
            priors = proposals.bboxes.detach()
            assign = assigner.assign(priors, gt.bboxes, gt.labels, gt_ignore)
            results.append(sampler.sample(assign, priors, gt.bboxes, gt.labels))
        return results

    def loss(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: list) -> Dict[str, Tensor]:
        sampling_results = self.sample_rois(rpn_results_list, batch_data_samples)
        rois = bbox2roi([res.priors for res in sampling_results])
        out = self.bbox_forward(feats, rois)
        losses = self.bbox_head.loss(out['cls_score'], out['bbox_pred'], sampling_results,
                                     pos_weight=self.train_cfg.get('pos_weight', -1))
        if self.with_mask and self.train_mask:
            pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
            pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
            mask_preds = self.mask_forward(feats, pos_rois, pos_labels)
            losses.update(self.mask_head.loss(
                mask_preds, sampling_results, [s.gt_instances for s in batch_data_samples]))
        return losses

    # ------------------------------------------------------------------ predict
    def predict(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                batch_data_samples: list, rescale: bool = False) -> List[InstanceData]:
        """Each image's detections (the ``pred_instances`` of :meth:`predict_outputs`)."""
        return self.predict_outputs(feats, rpn_results_list, batch_data_samples,
                                    rescale)[PRED_FIELD]

    def predict_outputs(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                        batch_data_samples: list, rescale: bool = False
                        ) -> Dict[str, List[InstanceData]]:
        """Detections per output field (``pred_instances`` and any others that
        :meth:`score_rois` names), all from one pass over the RoIs: features and head
        outputs once, then per field the score threshold and NMS, and masks computed
        once for detections several fields share."""
        metas = [s.metainfo for s in batch_data_samples]
        rois, out = self.roi_outputs(feats, bbox2roi([res.bboxes for res in rpn_results_list]),
                                     metas)
        detections: Dict[int, List[InstanceData]] = {}  # one NMS per distinct score matrix
        results = {}
        for field, scores in self.score_rois(out).items():
            if id(scores) not in detections:
                detections[id(scores)] = self.final_bbox_head.predict_by_feat(
                    rois, out['cls_score'], out['bbox_pred'], metas, self.test_cfg,
                    rescale=rescale and not self.with_mask, scores=scores)
            results[field] = detections[id(scores)]
        if self.with_mask:
            self.predict_masks(feats, metas, list(detections.values()), rescale)
        return results

    def roi_outputs(self, feats: Tuple[Tensor], rois: Tensor, batch_img_metas: List[dict]
                    ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """The RoIs the detections are decoded from and the box branch's outputs on them
        (``cls_score``, ``bbox_pred``, ``bbox_feats``): one pass here; cascades refine
        the RoIs stage by stage."""
        return rois, self.bbox_forward(feats, rois)

    @property
    def final_bbox_head(self):
        """The box head whose regression gives the detections."""
        return self.bbox_head

    @property
    def final_mask_head(self):
        """The mask head that pastes the masks."""
        return self.mask_head

    def mask_probs(self, feats: Tuple[Tensor], rois: Tensor, labels: Tensor) -> Tensor:
        """Mask probabilities of the RoIs, each RoI's own class (one channel)."""
        return self.mask_forward(feats, rois, labels).sigmoid()

    def predict_masks(self, feats: Tuple[Tensor], batch_img_metas: List[dict],
                      detection_sets: List[List[InstanceData]], rescale: bool = False
                      ) -> None:
        """Add ``masks`` (and, with ``rescale``, original-image boxes) to each detection
        set of the images, in place. Detections of several sets that share their RoI
        and class (hence their box) get their mask computed once."""
        if len(detection_sets) == 1:
            unions, inverses = detection_sets[0], None
        else:
            unions, inverses = self._union_of_sets(detection_sets)
        rois = bbox2roi([res.bboxes for res in unions])
        labels = torch.cat([res.labels for res in unions])
        probs = (self.mask_probs(feats, rois, labels) if rois.shape[0]
                 else rois.new_zeros(0, 1, 1, 1))
        self.final_mask_head.predict_by_feat(probs, unions, batch_img_metas, self.test_cfg,
                                             rescale=rescale, activated=True)
        if inverses is None:
            return
        for img, union in enumerate(unions):
            for results, inverse in zip(detection_sets, inverses[img]):
                det = results[img]
                det.bboxes = union.bboxes[inverse]
                det.masks = union.masks[inverse]

    def _union_of_sets(self, detection_sets: List[List[InstanceData]]):
        """Per image: the distinct (RoI, class) detections of all sets, and for each set
        the index of each of its detections in that union."""
        num_classes = self.final_bbox_head.num_classes
        unions, inverses = [], []
        for img in range(len(detection_sets[0])):
            dets = [results[img] for results in detection_sets]
            keys = torch.cat([d.roi_inds * num_classes + d.labels for d in dets])
            unique, inverse = torch.unique(keys, return_inverse=True)
            # one detection per key; any will do: the same RoI and class give the same box
            first = torch.empty(len(unique), dtype=torch.long, device=keys.device)
            first.scatter_(0, inverse, torch.arange(len(keys), device=keys.device))
            unions.append(InstanceData(bboxes=torch.cat([d.bboxes for d in dets])[first],
                                       labels=torch.cat([d.labels for d in dets])[first]))
            inverses.append(inverse.split([len(d) for d in dets]))
        return unions, inverses
