"""Cascade R-CNN's second stage (Cai & Vasconcelos, 2018), as mmdetection's
``CascadeRoIHead``: ``num_stages`` box heads, each trained on the RoIs the previous one
regressed, with its own assigner (rising IoU thresholds) and loss weight; at test time
the RoIs are refined stage by stage, the stages' classification logits are averaged
(then the softmax), the boxes come from the last stage's regression and the masks are
the mean of every stage's mask probabilities. Module names follow mmdetection
(``bbox_head.{i}``, ``mask_head.{i}``), so its checkpoints load as they are.
"""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmdet.registry import MODELS, TASK_UTILS
from mmdet.structures.bbox import bbox2roi
from mmdet.utils.config_keys import check_debug_off, check_keys
from ..layers import nms_iou_threshold
from .score_modes import ModeSpec
from .standard_roi_head import RCNN_TEST_KEYS, RCNN_TRAIN_KEYS, StandardRoIHead

ConfigOrList = Union[dict, Sequence[dict]]


def _per_stage(cfg: Optional[ConfigOrList], num_stages: int, what: str) -> list:
    """One config per stage: a list of ``num_stages``, or one config for all."""
    if cfg is None or isinstance(cfg, dict):
        return [cfg] * num_stages
    cfg = list(cfg)
    if len(cfg) != num_stages:
        raise ValueError(f'{what} has {len(cfg)} entries for {num_stages} stages')
    return cfg


@MODELS.register_module()
class CascadeRoIHead(StandardRoIHead):
    """``train_cfg`` is a list with one ``rcnn`` config per stage (assigner, sampler,
    ``mask_size``, ``pos_weight``); ``stage_loss_weights`` weigh the stages' losses
    (``s{i}.loss_*``)."""

    def __init__(self,
                 num_stages: int,
                 stage_loss_weights: Sequence[float],
                 bbox_roi_extractor: ConfigOrList,
                 bbox_head: ConfigOrList,
                 mask_roi_extractor: Optional[ConfigOrList] = None,
                 mask_head: Optional[ConfigOrList] = None,
                 train_cfg: Optional[Sequence[dict]] = None,
                 test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 inference_mode: ModeSpec = 'orig',
                 norcal: Optional[dict] = None,
                 tau_norm: Optional[dict] = None):
        BaseModule.__init__(self, init_cfg=init_cfg)
        self.init_score_modes(inference_mode, norcal, tau_norm)
        if len(stage_loss_weights) != num_stages:
            raise ValueError(f'stage_loss_weights {list(stage_loss_weights)} needs one '
                             f'weight per stage ({num_stages})')
        self.num_stages = num_stages
        self.stage_loss_weights = list(stage_loss_weights)
        stage_train = _per_stage(train_cfg, num_stages, 'model.train_cfg.rcnn')
        for i, cfg in enumerate(stage_train):
            check_keys(cfg, RCNN_TRAIN_KEYS, f'model.train_cfg.rcnn[{i}]')
            check_debug_off(cfg, f'model.train_cfg.rcnn[{i}]')
        check_keys(test_cfg, RCNN_TEST_KEYS, 'model.test_cfg.rcnn')
        if test_cfg is not None:
            nms_iou_threshold(test_cfg['nms'])
        self.train_cfg = None if train_cfg is None else stage_train
        self.test_cfg = test_cfg
        build = lambda cfgs, what: nn.ModuleList(  # noqa: E731
            MODELS.build(c) for c in _per_stage(cfgs, num_stages, what))
        self.bbox_roi_extractor = build(bbox_roi_extractor, 'bbox_roi_extractor')
        self.bbox_head = build(bbox_head, 'bbox_head')
        if mask_head is not None:
            self.mask_roi_extractor = build(mask_roi_extractor or bbox_roi_extractor,
                                            'mask_roi_extractor')
            self.mask_head = build(mask_head, 'mask_head')
            for i, (cfg, head) in enumerate(zip(stage_train, self.mask_head)):
                size = (cfg or {}).get('mask_size', head.mask_size)
                if size != head.mask_size:
                    raise ValueError(f'model.train_cfg.rcnn[{i}].mask_size={size}, but mask '
                                     f'head {i} predicts {head.mask_size}x{head.mask_size}')
        if train_cfg is not None:
            self.bbox_assigner = [TASK_UTILS.build(c['assigner']) for c in stage_train]
            self.bbox_sampler = [TASK_UTILS.build(c['sampler']) for c in stage_train]

    @property
    def final_bbox_head(self):
        return self.bbox_head[-1]

    @property
    def final_mask_head(self):
        return self.mask_head[-1]

    # ------------------------------------------------------------------ features
    def stage_roi_features(self, feats: Tuple[Tensor], rois: Tensor, stage: int) -> Tensor:
        """The RoI features stage ``stage``'s box head (and classifier) reads."""
        return self.bbox_roi_extractor[stage](feats, rois)

    def bbox_forward(self, feats: Tuple[Tensor], rois: Tensor, stage: int = -1
                     ) -> Dict[str, Tensor]:
        roi_feats = self.stage_roi_features(feats, rois, stage)
        cls_score, bbox_pred = self.bbox_head[stage](roi_feats)
        return dict(cls_score=cls_score, bbox_pred=bbox_pred, bbox_feats=roi_feats)

    def mask_forward(self, feats: Tuple[Tensor], rois: Tensor,
                     labels: Optional[Tensor] = None, stage: int = -1) -> Tensor:
        return self.mask_head[stage](self.mask_roi_extractor[stage](feats, rois), labels)

    # ------------------------------------------------------------------ predict
    def roi_outputs(self, feats: Tuple[Tensor], rois: Tensor, batch_img_metas: List[dict]
                    ) -> Tuple[Tensor, Dict[str, Tensor]]:
        """Each stage scores and regresses the RoIs the previous one refined (its
        argmax foreground class picks the regression of class-wise heads); the
        returned ``cls_score`` is the mean of the stages' logits, ``bbox_pred`` and
        ``bbox_feats`` are the last stage's, on the RoIs it was given."""
        logits, stage_feats = [], []
        for stage in range(self.num_stages):
            out = self.bbox_forward(feats, rois, stage)
            logits.append(out['cls_score'])
            stage_feats.append(out['bbox_feats'])
            if stage < self.num_stages - 1 and rois.shape[0]:
                rois = self.regress_stage(out, rois, batch_img_metas, stage)
        out['cls_score'] = sum(logits) / float(len(logits))
        out['stage_logits'] = logits
        out['stage_feats'] = stage_feats  # each stage's RoI features (calibration heads)
        return rois, out

    def tau_normalized_logits(self, bbox_out: Dict[str, Tensor], tau: float) -> Tensor:
        """The mean over the stages of their tau-normalised classifiers' logits."""
        from mmdet.calibration.posthoc import tau_normalized_logits
        logits = [tau_normalized_logits(lg, head.fc_cls.weight, head.fc_cls.bias, tau)
                  for lg, head in zip(bbox_out['stage_logits'], self.bbox_head)]
        return sum(logits) / float(len(logits))

    def regress_stage(self, out: Dict[str, Tensor], rois: Tensor, batch_img_metas: List[dict],
                      stage: int) -> Tensor:
        """``rois`` regressed by stage ``stage``'s outputs ``out`` as at test time (each
        RoI by its argmax foreground class): the RoIs the next stage sees."""
        labels = self.bbox_head[stage].predicted_labels(out['cls_score'])
        return self.bbox_head[stage].regress_by_class(rois, labels, out['bbox_pred'],
                                                      batch_img_metas)

    def refine_all(self, feats: Tuple[Tensor], rois: Tensor, batch_img_metas: List[dict],
                   stage: int) -> Tensor:
        """All ``rois`` through stage ``stage`` and regressed (:meth:`regress_stage`)."""
        if not rois.shape[0]:
            return rois
        return self.regress_stage(self.bbox_forward(feats, rois, stage), rois,
                                  batch_img_metas, stage)

    def prepare_features(self, feats: Tuple[Tensor]) -> Tuple[Tensor]:
        """The features the RoI branches read (HTC adds its semantic features)."""
        return feats

    def predict_outputs(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                        batch_data_samples: list, rescale: bool = False
                        ) -> Dict[str, List[InstanceData]]:
        return super().predict_outputs(self.prepare_features(feats), rpn_results_list,
                                       batch_data_samples, rescale)

    def mask_probs(self, feats: Tuple[Tensor], rois: Tensor, labels: Tensor) -> Tensor:
        """The mean over the stages' mask heads of their probabilities."""
        probs = [self.mask_forward(feats, rois, labels, stage).sigmoid()
                 for stage in range(self.num_stages)]
        return sum(probs) / float(len(probs))

    # --------------------------------------------------------------------- loss
    masks_on_refined = False  # HTC (interleaved): mask losses on the refined boxes

    def loss(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
             batch_data_samples: list) -> Dict[str, Tensor]:
        """Per stage the box loss on RoIs sampled from its proposals and the mask loss
        on the positives (or, with :attr:`masks_on_refined`, on RoIs re-sampled from the
        boxes the stage just regressed); the regressed RoIs, without the added ground
        truth, are the next stage's proposals."""
        metas = [s.metainfo for s in batch_data_samples]
        feats = self.prepare_features(feats)
        losses = self.extra_losses(feats, batch_data_samples)
        proposals = rpn_results_list
        for stage in range(self.num_stages):
            weight = self.stage_loss_weights[stage]
            sampling_results = self.sample_rois(proposals, batch_data_samples,
                                                self.bbox_assigner[stage],
                                                self.bbox_sampler[stage])
            rois = bbox2roi([res.priors for res in sampling_results])
            out = self.bbox_forward(feats, rois, stage)
            stage_losses = self.bbox_head[stage].loss(
                out['cls_score'], out['bbox_pred'], sampling_results,
                pos_weight=self.train_cfg[stage].get('pos_weight', -1))
            refined = None
            if stage < self.num_stages - 1 or (self.with_mask and self.train_mask
                                               and self.masks_on_refined):
                with torch.no_grad():
                    refined = self.refine_proposals(sampling_results, rois, out, metas, stage)
            if self.with_mask and self.train_mask:
                if self.masks_on_refined:
                    sampling_results = self.sample_rois(refined, batch_data_samples,
                                                        self.bbox_assigner[stage],
                                                        self.bbox_sampler[stage])
                stage_losses.update(self.stage_mask_loss(feats, sampling_results,
                                                         batch_data_samples, stage))
            for name, value in stage_losses.items():
                losses[f's{stage}.{name}'] = value * weight if 'loss' in name else value
            proposals = refined
        return losses

    def extra_losses(self, feats: Tuple[Tensor], batch_data_samples: list
                     ) -> Dict[str, Tensor]:
        """Losses besides the stages' (HTC: the semantic loss)."""
        return {}

    def stage_mask_loss(self, feats: Tuple[Tensor], sampling_results: list,
                        batch_data_samples: list, stage: int) -> Dict[str, Tensor]:
        pos_rois = bbox2roi([res.pos_priors for res in sampling_results])
        pos_labels = torch.cat([res.pos_gt_labels for res in sampling_results])
        mask_preds = self.mask_train_logits(feats, pos_rois, pos_labels, stage)
        return self.mask_head[stage].loss(mask_preds, sampling_results,
                                          [s.gt_instances for s in batch_data_samples])

    def mask_train_logits(self, feats: Tuple[Tensor], rois: Tensor, labels: Tensor,
                          stage: int) -> Tensor:
        """Stage ``stage``'s mask logits (each RoI's class) in training."""
        return self.mask_forward(feats, rois, labels, stage)

    def refine_proposals(self, sampling_results: list, rois: Tensor, out: Dict[str, Tensor],
                         batch_img_metas: List[dict], stage: int) -> List[InstanceData]:
        """The next stage's proposals: this stage's sampled RoIs regressed (positives by
        their ground-truth class, negatives by their argmax foreground class), without
        the ground-truth boxes the sampler added."""
        head = self.bbox_head[stage]
        labels = head.get_targets(sampling_results)[0]
        labels = torch.where(labels == head.num_classes,
                             head.predicted_labels(out['cls_score']), labels)
        refined = head.regress_by_class(rois, labels, out['bbox_pred'], batch_img_metas)
        proposals = []
        for img, res in enumerate(sampling_results):
            boxes = refined[rois[:, 0] == img, 1:]
            keep = torch.ones(boxes.shape[0], dtype=torch.bool, device=boxes.device)
            keep[:len(res.pos_is_gt)] = res.pos_is_gt == 0
            proposals.append(InstanceData(bboxes=boxes[keep]))
        return proposals
