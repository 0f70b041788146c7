"""Hybrid Task Cascade's second stage (Chen et al., 2019), as mmdetection 3.3's
``HybridTaskCascadeRoIHead`` tests it: a cascade whose box and mask RoI features gain the
semantic branch's pooled features (``semantic_roi_extractor``, resized to the RoI size),
and whose mask heads pass their features on to the next (mask information flow). The
masks come from the last mask head after the flow through all stages. Module names
follow mmdetection (``semantic_head``, ``mask_head.{i}.conv_res``).

Inference only so far: training (interleaved box/mask stages, the semantic loss) is not
implemented and is an error.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.registry import MODELS
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
    def bbox_forward(self, feats: Tuple[Tensor], rois: Tensor, stage: int = -1
                     ) -> Dict[str, Tensor]:
        roi_feats = self._fuse_semantic(feats, self.bbox_roi_extractor[stage](feats, rois),
                                        rois, 'bbox')
        cls_score, bbox_pred = self.bbox_head[stage](roi_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=roi_feats)

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

    def loss(self, feats, rpn_results_list, batch_data_samples) -> Dict[str, Tensor]:
        raise NotImplementedError(
            'training HybridTaskCascadeRoIHead (interleaved stages, mask information flow, '
            'the semantic loss) is not implemented yet; HTC checkpoints test and calibrate')
