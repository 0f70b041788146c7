"""Mask R-CNN's second stage: box and mask branches on pooled RoI features."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox2roi


@MODELS.register_module()
class StandardRoIHead(BaseModule):

    def __init__(self,
                 bbox_roi_extractor: dict,
                 bbox_head: dict,
                 mask_roi_extractor: Optional[dict] = None,
                 mask_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_head = MODELS.build(bbox_head)
        if mask_head is not None:
            self.mask_roi_extractor = MODELS.build(mask_roi_extractor or bbox_roi_extractor)
            self.mask_head = MODELS.build(mask_head)
        if train_cfg is not None:
            self.bbox_assigner = TASK_UTILS.build(train_cfg['assigner'])
            self.bbox_sampler = TASK_UTILS.build(train_cfg['sampler'])

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
    def sample_rois(self, rpn_results_list: List[InstanceData], batch_data_samples: list
                    ) -> list:
        """Assign each image's proposals to its ground truth and sample RoIs."""
        results = []
        for proposals, sample in zip(rpn_results_list, batch_data_samples):
            gt = sample.gt_instances
            ignored = sample.get('ignored_instances', None)
            gt_ignore = ignored.bboxes if ignored is not None and len(ignored) else None
            priors = proposals.bboxes.detach()
            assign = self.bbox_assigner.assign(priors, gt.bboxes, gt.labels, gt_ignore)
            results.append(self.bbox_sampler.sample(assign, priors, gt.bboxes, gt.labels))
        return results

    def loss(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: list) -> Dict[str, Tensor]:
        sampling_results = self.sample_rois(rpn_results_list, batch_data_samples)
        rois = bbox2roi([res.priors for res in sampling_results])
        out = self.bbox_forward(feats, rois)
        losses = self.bbox_head.loss(out['cls_score'], out['bbox_pred'], sampling_results)
        if self.with_mask:
            pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
            pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
            mask_preds = self.mask_forward(feats, pos_rois, pos_labels)
            losses.update(self.mask_head.loss(
                mask_preds, sampling_results, [s.gt_instances for s in batch_data_samples]))
        return losses

    # ------------------------------------------------------------------ predict
    def predict(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                batch_data_samples: list, rescale: bool = False) -> List[InstanceData]:
        metas = [s.metainfo for s in batch_data_samples]
        results = self.predict_bbox(feats, metas, rpn_results_list,
                                    rescale=rescale and not self.with_mask)
        if self.with_mask:
            results = self.predict_mask(feats, metas, results, rescale=rescale)
        return results

    def predict_bbox(self, feats: Tuple[Tensor], batch_img_metas: List[dict],
                     rpn_results_list: List[InstanceData], rescale: bool = False
                     ) -> List[InstanceData]:
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        out = self.bbox_forward(feats, rois)
        return self.bbox_head.predict_by_feat(rois, out['cls_score'], out['bbox_pred'],
                                              batch_img_metas, self.test_cfg, rescale=rescale,
                                              scores=self.score_rois(out))

    def score_rois(self, bbox_out: Dict[str, Tensor]) -> Tensor:
        """Class probabilities of the RoIs (background last). Calibrated detectors
        override this to combine several classifiers."""
        return F.softmax(bbox_out['cls_score'], dim=-1)

    def predict_mask(self, feats: Tuple[Tensor], batch_img_metas: List[dict],
                     results_list: List[InstanceData], rescale: bool = False
                     ) -> List[InstanceData]:
        rois = bbox2roi([res.bboxes for res in results_list])
        if rois.shape[0] == 0:
            rle = (self.test_cfg or {}).get('mask_format') == 'rle'
            for res, meta in zip(results_list, batch_img_metas):
                h, w = meta['ori_shape' if rescale else 'img_shape'][:2]
                res.masks = [] if rle else torch.zeros(0, h, w, dtype=torch.bool,
                                                       device=rois.device)
                if rescale:
                    res.bboxes = res.bboxes.reshape(0, 4)
            return results_list
        labels = torch.cat([res.labels for res in results_list])
        mask_preds = self.mask_forward(feats, rois, labels)
        return self.mask_head.predict_by_feat(mask_preds, results_list, batch_img_metas,
                                              self.test_cfg, rescale=rescale)
