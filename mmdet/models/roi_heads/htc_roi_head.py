"""Hybrid Task Cascade's second stage (Chen et al., 2019), as mmdetection 3.3's
``HybridTaskCascadeRoIHead`` tests it: a cascade whose box and mask RoI features gain the
semantic branch's pooled features (``semantic_roi_extractor``, resized to the RoI size),
and whose mask heads pass their features on to the next (mask information flow). The
masks come from the last mask head after the flow through all stages. Module names
follow mmdetection (``semantic_head``, ``mask_head.{i}.conv_res``).

Training as mmdetection's: the box stages refine the proposals; interleaved, each
stage's mask loss is on RoIs re-sampled from the boxes it just regressed; the semantic
loss applies when the samples carry ``gt_sem_seg`` maps (padded like the images).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from .cascade_roi_head import CascadeRoIHead


class SemanticFeatures(tuple):
    """The FPN feature maps with the semantic branch's features (``semantic``)."""

    semantic: Optional[Tensor] = None


@MODELS.register_module()
class HybridTaskCascadeRoIHead(CascadeRoIHead):

    def __init__(self, num_stages: int, stage_loss_weights: Sequence[float],
                 semantic_roi_extractor: Optional[dict] = None,
                 semantic_head: Optional[dict] = None,
                 semantic_fusion: Sequence[str] = ('bbox', 'mask'),
                 interleaved: bool = True, mask_info_flow: bool = True, **kwargs) -> None:
        super().__init__(num_stages, stage_loss_weights, **kwargs)
        if (semantic_head is None) != (semantic_roi_extractor is None):
            raise ValueError('semantic_head and semantic_roi_extractor go together')
        if semantic_head is not None:
            self.semantic_roi_extractor = MODELS.build(semantic_roi_extractor)
            self.semantic_head = MODELS.build(semantic_head)
        unknown = set(semantic_fusion) - {'bbox', 'mask'}
        if unknown:
            raise ValueError(f'semantic_fusion: unknown branches {sorted(unknown)}')
        self.semantic_fusion = tuple(semantic_fusion)
        self.interleaved = interleaved
        self.mask_info_flow = mask_info_flow

    @property
    def with_semantic(self) -> bool:
        return getattr(self, 'semantic_head', None) is not None

    def with_semantic_features(self, feats: Tuple[Tensor]) -> Tuple[Tensor]:
        """``feats`` carrying the semantic branch's features (when there is one)."""
        out = SemanticFeatures(feats)
        if self.with_semantic:
            out.semantic = self.semantic_head(feats)[1]
        return out

    def _fuse_semantic(self, feats, roi_feats: Tensor, rois: Tensor, branch: str) -> Tensor:
        semantic = getattr(feats, 'semantic', None)
        if semantic is None or branch not in self.semantic_fusion:
            return roi_feats
        pooled = self.semantic_roi_extractor([semantic], rois)
        if pooled.shape[-2:] != roi_feats.shape[-2:]:
            pooled = F.adaptive_avg_pool2d(pooled, roi_feats.shape[-2:])
        return roi_feats + pooled

    # ------------------------------------------------------------------ features
    def stage_roi_features(self, feats: Tuple[Tensor], rois: Tensor, stage: int) -> Tensor:
        return self._fuse_semantic(feats, self.bbox_roi_extractor[stage](feats, rois), rois,
                                   'bbox')

    def mask_probs(self, feats: Tuple[Tensor], rois: Tensor, labels: Tensor) -> Tensor:
        """The last mask head's probabilities, the features having flowed through every
        stage's head (mmdetection 3.3's test: the earlier stages' logits are unused)."""
        mask_feats = self._fuse_semantic(feats, self.mask_roi_extractor[-1](feats, rois),
                                         rois, 'mask')
        last_feat = None
        for head in self.mask_head:
            if self.mask_info_flow:
                logits, last_feat = head.forward_with_feat(mask_feats, last_feat, labels)
            else:
                logits = head(mask_feats, labels)
        return logits.sigmoid()

    # ------------------------------------------------------------------ predict
    def predict_outputs(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                        batch_data_samples: list, rescale: bool = False
                        ) -> Dict[str, List[InstanceData]]:
        return super().predict_outputs(self.with_semantic_features(feats), rpn_results_list,
                                       batch_data_samples, rescale)

    # --------------------------------------------------------------------- loss
    def mask_train_logits(self, feats: Tuple[Tensor], rois: Tensor, labels: Tensor,
                          stage: int) -> Tensor:
        """Stage ``stage``'s mask logits (each RoI's class) in training: the RoI features
        flow through the earlier stages' heads first (mask information flow)."""
        mask_feats = self._fuse_semantic(feats, self.mask_roi_extractor[stage](feats, rois),
                                         rois, 'mask')
        last_feat = None
        if self.mask_info_flow:
            for head in self.mask_head[:stage]:
                last_feat = head.forward_with_feat(mask_feats, last_feat, labels)[1]
        return self.mask_head[stage].forward_with_feat(mask_feats, last_feat, labels)[0]

    def loss(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: list) -> Dict[str, Tensor]:
        """As mmdetection's HTC: the semantic loss (when the samples carry ``gt_sem_seg``
        maps), then per stage the box loss on its sampled RoIs and, interleaved, the mask
        loss on RoIs re-sampled from the boxes this stage just regressed, which are also
        the next stage's proposals."""
        metas = [s.metainfo for s in batch_data_samples]
        gts = [s.gt_instances for s in batch_data_samples]
        feats = self.with_semantic_features(feats)
        losses: Dict[str, Tensor] = {}
        if self.with_semantic:
            maps = [s.get('gt_sem_seg', None) for s in batch_data_samples]
            if all(m is not None for m in maps):
                logits = self.semantic_head(feats)[0]
                labels = torch.stack([m.sem_seg[0] for m in maps])
                losses['loss_semantic_seg'] = self.semantic_head.loss(logits, labels)
        proposals = rpn_results_list
        for stage in range(self.num_stages):
            weight = self.stage_loss_weights[stage]
            sampling = self.sample_rois(proposals, batch_data_samples,
                                        self.bbox_assigner[stage], self.bbox_sampler[stage])
            rois = bbox2roi([res.priors for res in sampling])
            out = self.bbox_forward(feats, rois, stage)
            stage_losses = self.bbox_head[stage].loss(
                out['cls_score'], out['bbox_pred'], sampling,
                pos_weight=self.train_cfg[stage].get('pos_weight', -1))
            refined = None
            if stage < self.num_stages - 1 or (self.with_mask and self.interleaved):
                with torch.no_grad():
                    refined = self.refine_proposals(sampling, rois, out, metas, stage)
            if self.with_mask:
                if self.interleaved:
                    sampling = self.sample_rois(refined, batch_data_samples,
                                                self.bbox_assigner[stage],
                                                self.bbox_sampler[stage])
                pos_rois = bbox2roi([res.pos_priors for res in sampling])
                pos_labels = torch.cat([res.pos_gt_labels for res in sampling])
                mask_preds = self.mask_train_logits(feats, pos_rois, pos_labels, stage)
                stage_losses.update(self.mask_head[stage].loss(mask_preds, sampling, gts))
            for name, value in stage_losses.items():
                losses[f's{stage}.{name}'] = value * weight if 'loss' in name else value
            proposals = refined
        return losses
