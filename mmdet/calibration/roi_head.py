"""The RoI head of a calibrated detector: the original box and mask heads plus the
calibration head, scored in SimCal's inference modes (stage 3) beside the other modes
of every RoI head (:mod:`mmdet.models.roi_heads.score_modes`).

It adds the modes 'cal' and 'dual' to the scoring step of :class:`StandardRoIHead`: one
pass computes the RoI features, the original head's scores and box deltas and (for
``cal`` / ``dual``) the calibration head's scores; boxes and masks always come from the
original heads. In mode ``all`` the three modes are scored from that one pass, each
with its own NMS, as ``pred_instances_orig`` / ``_cal`` / ``_dual`` (``pred_instances`` =
dual).
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.models.roi_heads.cascade_roi_head import CascadeRoIHead
from mmdet.models.roi_heads.htc_roi_head import HybridTaskCascadeRoIHead
from mmdet.models.roi_heads.score_modes import (CALIBRATED_MODES, POSTHOC_MODES, SIMCAL_MODES,
                                                instances_by_mode, mode_field)
from mmdet.models.roi_heads.standard_roi_head import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from .heads import CalibrationHeads
from .scores import dual_scores

__all__ = ['SimCalCascadeRoIHead', 'SimCalHTCRoIHead', 'SimCalRoIHead', 'SimCalScoring',
           'instances_by_mode', 'mode_field']


class SimCalScoring:
    """What the calibrated RoI heads share: the calibration head(s), T, and scoring in
    SimCal's modes. Mixed into a RoI head class.

    Args:
        calib_head: the calibration head's config; ``num_classes``, ``in_channels``,
            ``roi_feat_size`` and ``fc_out_channels`` default to the box head's (each
            stage's, for cascades).
        inference_mode: 'orig', 'cal', 'dual', 'all' (the three from one pass), or a
            list of modes (with the training-free ones, see ``score_modes``).
        count_threshold: T; in 'dual' mode classes with fewer TRAINING instances than T
            take the calibrated scores. The counts are those the calibration head was
            calibrated with (``calib_head.train_instance_counts``, saved with it).
    """

    mode_kinds = SIMCAL_MODES + POSTHOC_MODES

    def __init__(self, *args, calib_head: Optional[dict] = None,
                 inference_mode='dual', count_threshold: float = 100, **kwargs):
        for key in ('train_ann_file', 'train_instance_counts'):
            if key in kwargs:
                raise TypeError(
                    f'model.roi_head.{key} is no longer read: the training instance counts '
                    'T applies to come from the training set when calibrating and are '
                    'saved in the calibrated checkpoint (roi_head.calib_head.'
                    'train_instance_counts); remove the key')
        super().__init__(*args, inference_mode=inference_mode, **kwargs)
        self.calib_head = self.build_calib_head(calib_head)
        if self.calib_head.num_classes != self.final_bbox_head.num_classes:
            raise ValueError(f'calib_head has {self.calib_head.num_classes} classes, the box '
                             f'head {self.final_bbox_head.num_classes}')
        if count_threshold is None:
            raise ValueError('model.roi_head.count_threshold (T) must be a number')
        self.count_threshold = count_threshold

    def build_calib_head(self, cfg: Optional[dict]):
        return MODELS.build(calib_head_cfg(cfg, self.bbox_head))

    def check_inference_ready(self) -> None:
        """Modes 'cal' and 'dual' need calibration weights ('dual' also the training
        counts): checked before the first image, with the other modes' needs."""
        super().check_inference_ready()
        modes = self.modes
        if any(m in CALIBRATED_MODES for m in modes):
            self.calib_head.check_calibrated()
        if 'dual' in modes:
            self.calib_head.calibrated_columns(self.count_threshold)

    # ------------------------------------------------------------------ scoring
    def calibration_features(self, bbox_out: Dict[str, Tensor]):
        """What the calibration head reads of the box branch's outputs."""
        return bbox_out['bbox_feats']

    def mode_scores(self, bbox_out: Dict[str, Tensor], modes: Sequence[str]
                    ) -> Dict[str, Tensor]:
        """Class probabilities of the RoIs in each mode (background last)."""
        calibrated = [m for m in modes if m in CALIBRATED_MODES]
        out = super().mode_scores(bbox_out, [m for m in modes if m not in calibrated]
                                  + (['orig'] if 'dual' in modes and 'orig' not in modes
                                     else []))
        if calibrated:
            self.calib_head.check_calibrated()
            p_cal = self.calib_head(self.calibration_features(bbox_out)).softmax(dim=-1)
            if 'cal' in modes:
                out['cal'] = p_cal
            if 'dual' in modes:
                out['dual'] = dual_scores(
                    out['orig'], p_cal, self.calib_head.calibrated_columns(self.count_threshold))
        return {mode: out[mode] for mode in modes}

    # ---------------------------------------------------------------- calibrate
    def calibration_batches(self, feats: Tuple[Tensor], proposals: List[InstanceData],
                            data_samples: list, assigners: list, sampler,
                            select: Callable) -> List[Tuple[Tensor, Tensor]]:
        """Calibration logits and labels of the RoIs ``select`` keeps of the sampled
        proposals; one pair here (``assigners[0]``), one per stage for cascades. The RoI
        features carry no gradient."""
        with torch.no_grad():
            rois, labels = select(self.sample_rois(proposals, data_samples, assigners[0],
                                                   sampler))
            roi_feats = self.bbox_roi_extractor(feats, rois)
        return [(self.calib_head(roi_feats), labels)]


def calib_head_cfg(cfg: Optional[dict], box) -> dict:
    """The calibration head's config, its sizes defaulting to the box head ``box``'s."""
    cfg = dict(cfg or dict(type='CalibrationHead'))
    cfg.setdefault('type', 'CalibrationHead')
    cfg.setdefault('num_classes', box.num_classes)
    cfg.setdefault('in_channels', box.in_channels)
    cfg.setdefault('roi_feat_size', box.roi_feat_size)
    if len(box.shared_fcs):
        cfg.setdefault('fc_out_channels', box.shared_fcs[-1].out_features)
    return cfg


@MODELS.register_module()
class SimCalRoIHead(SimCalScoring, StandardRoIHead):
    """:class:`StandardRoIHead` with a calibration head (``calib_head``); see
    :class:`SimCalScoring` for the arguments."""


@MODELS.register_module()
class SimCalCascadeRoIHead(SimCalScoring, CascadeRoIHead):
    """A cascade (:class:`CascadeRoIHead`) with one calibration head per stage, each reading its stage's RoI features (HTC: with the
    semantic features); their logits are averaged over the stages, as the box heads'
    are, and the dual-head replacement with T applies to the final scores. Each stage's
    head is calibrated on RoIs of the frozen cascade's own RoIs for that stage (the
    proposals refined by the earlier stages, as at test time), assigned at that stage's
    IoU threshold (``calib_cfg.stage_iou_thrs``)."""

    def build_calib_head(self, cfg: Optional[dict]) -> CalibrationHeads:
        return CalibrationHeads(MODELS.build(calib_head_cfg(cfg, box)) for box in self.bbox_head)

    def calibration_features(self, bbox_out: Dict[str, Tensor]):
        return bbox_out['stage_feats']

    def calibration_batches(self, feats: Tuple[Tensor], proposals: List[InstanceData],
                            data_samples: list, assigners: list, sampler,
                            select: Callable) -> List[Tuple[Tensor, Tensor]]:
        if len(assigners) != self.num_stages:
            raise ValueError(f'{len(assigners)} calibration assigners for {self.num_stages} '
                             'stages (calib_cfg.stage_iou_thrs)')
        metas = [s.metainfo for s in data_samples]
        batches = []
        with torch.no_grad():
            feats = self.prepare_features(feats)  # HTC: with the semantic features
            rois = bbox2roi([p.bboxes for p in proposals])
        for stage in range(self.num_stages):
            with torch.no_grad():
                stage_proposals = [InstanceData(bboxes=rois[rois[:, 0] == i, 1:])
                                   for i in range(len(proposals))]
                cal_rois, labels = select(self.sample_rois(stage_proposals, data_samples,
                                                           assigners[stage], sampler))
                roi_feats = self.stage_roi_features(feats, cal_rois, stage)
                if stage < self.num_stages - 1:
                    rois = self.refine_all(feats, rois, metas, stage)
            batches.append((self.calib_head[stage](roi_feats), labels))
        return batches


@MODELS.register_module()
class SimCalHTCRoIHead(SimCalCascadeRoIHead, HybridTaskCascadeRoIHead):
    """HTC with one calibration head per stage (:class:`SimCalCascadeRoIHead`), each
    reading its stage's RoI features with the semantic features fused in."""
