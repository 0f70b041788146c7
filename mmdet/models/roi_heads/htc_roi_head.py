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
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmdet.registry import MODELS
from .cascade_roi_head import CascadeRoIHead


class SemanticFeatures(tuple):
    """The FPN feature maps with the semantic branch's features (``semantic``) and
    logits (``semantic_logits``, for its loss)."""

    semantic: Optional[Tensor] = None
    semantic_logits: Optional[Tensor] = None


@MODELS.register_module()
class HybridTaskCascadeRoIHead(CascadeRoIHead):

    def __init__(self, num_stages: int, stage_loss_weights: Sequence[float],
                 semantic_roi_extractor: Optional[dict] = None,
                 semantic_head: Optional[dict] = None,
                 semantic_fusion: Sequence[str] = ('bbox', 'mask'),
                 interleaved: bool = True, mask_info_flow: bool = True, **kwargs) -> None:
        mask_head = kwargs.get('mask_head')
        if isinstance(mask_head, dict) and 'with_conv_res' not in mask_head:
            # one head config for all stages: conv_res where the information flow feeds it
            kwargs['mask_head'] = [dict(mask_head, with_conv_res=mask_info_flow and i > 0)
                                   for i in range(num_stages)]
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

    def prepare_features(self, feats: Tuple[Tensor]) -> Tuple[Tensor]:
        """``feats`` carrying the semantic branch's features (when there is one)."""
        out = SemanticFeatures(feats)
        if self.with_semantic:
            out.semantic_logits, out.semantic = self.semantic_head(feats)
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

    @property
    def masks_on_refined(self) -> bool:
        return self.interleaved

    def extra_losses(self, feats: Tuple[Tensor], batch_data_samples: list
                     ) -> Dict[str, Tensor]:
        """The semantic loss, when every sample carries a ``gt_sem_seg`` map (and the
        semantic head is not frozen)."""
        maps = [s.get('gt_sem_seg', None) for s in batch_data_samples]
        if not (self.with_semantic and self.train_semantic) or any(m is None for m in maps):
            return {}
        labels = torch.stack([m.sem_seg[0] for m in maps])
        return dict(loss_semantic_seg=self.semantic_head.loss(feats.semantic_logits, labels))
