"""The RoI head of a calibrated detector: the original box and mask heads plus the
calibration head, scored in one of SimCal's inference modes (stage 3).

It overrides only the scoring step of :class:`StandardRoIHead`: one pass computes the
RoI features, the original head's scores and box deltas and (for ``cal`` / ``dual``)
the calibration head's scores; boxes and masks always come from the original heads.
In mode ``all`` the three modes are scored from that one pass, each with its own NMS,
as ``pred_instances_orig`` / ``_cal`` / ``_dual`` (``pred_instances`` = dual).
"""
from typing import Dict, Optional, Tuple

import torch
from torch import Tensor

from mmdet.models.roi_heads.standard_roi_head import PRED_FIELD, StandardRoIHead
from mmdet.registry import MODELS
from .scores import ALL_MODES, INFERENCE_MODES, check_mode, mode_scores


def mode_field(mode: str) -> str:
    """The data sample field of a mode's predictions in mode 'all'."""
    return f'{PRED_FIELD}_{mode}'


@MODELS.register_module()
class SimCalRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` with a calibration head (``calib_head``).

    Args:
        calib_head: the calibration head's config; ``num_classes``, ``in_channels``,
            ``roi_feat_size`` and ``fc_out_channels`` default to the box head's.
        inference_mode: 'orig', 'cal', 'dual' or 'all' (the three from one pass).
        count_threshold: T; in 'dual' mode classes with fewer TRAINING instances than T
            take the calibrated scores. The counts are those the calibration head was
            calibrated with (``calib_head.train_instance_counts``, saved with it).
    """

    def __init__(self, *args, calib_head: Optional[dict] = None,
                 inference_mode: str = 'dual', count_threshold: float = 100, **kwargs):
        for key in ('train_ann_file', 'train_instance_counts'):
            if key in kwargs:
                raise TypeError(
                    f'model.roi_head.{key} is no longer read: the training instance counts '
                    'T applies to come from the training set when calibrating and are '
                    'saved in the calibrated checkpoint (roi_head.calib_head.'
                    'train_instance_counts); remove the key')
        super().__init__(*args, **kwargs)
        self.calib_head = MODELS.build(self._calib_head_cfg(calib_head))
        if self.calib_head.num_classes != self.bbox_head.num_classes:
            raise ValueError(f'calib_head has {self.calib_head.num_classes} classes, the box '
                             f'head {self.bbox_head.num_classes}')
        self.inference_mode = check_mode(inference_mode)
        if count_threshold is None:
            raise ValueError('model.roi_head.count_threshold (T) must be a number')
        self.count_threshold = count_threshold

    def _calib_head_cfg(self, cfg: Optional[dict]) -> dict:
        cfg = dict(cfg or dict(type='CalibrationHead'))
        box = self.bbox_head
        cfg.setdefault('type', 'CalibrationHead')
        cfg.setdefault('num_classes', box.num_classes)
        cfg.setdefault('in_channels', box.in_channels)
        cfg.setdefault('roi_feat_size', box.roi_feat_size)
        if len(box.shared_fcs):
            cfg.setdefault('fc_out_channels', box.shared_fcs[-1].out_features)
        return cfg

    def check_inference_ready(self) -> None:
        """Modes other than 'orig' need calibration weights ('dual' and 'all' also the
        training counts): checked before the first image."""
        if self.inference_mode == 'orig':
            return
        self.calib_head.check_calibrated()
        if self.inference_mode in ('dual', ALL_MODES):
            self.calib_head.calibrated_columns(self.count_threshold)

    # ------------------------------------------------------------------ scoring
    def score_rois(self, bbox_out: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """The inference mode's scores as ``pred_instances``; in mode 'all' also each
        mode's as ``pred_instances_{mode}``."""
        if self.inference_mode != ALL_MODES:
            mode = self.inference_mode
            return {PRED_FIELD: self.mode_scores(bbox_out, (mode,))[mode]}
        scores = self.mode_scores(bbox_out, INFERENCE_MODES)
        fields = {mode_field(mode): value for mode, value in scores.items()}
        return {PRED_FIELD: scores['dual'], **fields}

    def mode_scores(self, bbox_out: Dict[str, Tensor], modes) -> Dict[str, Tensor]:
        """Class probabilities of the RoIs in each mode (background last)."""
        needs_cal = any(m != 'orig' for m in modes)
        if needs_cal:
            self.calib_head.check_calibrated()
        cal_logits = self.calib_head(bbox_out['bbox_feats']) if needs_cal else None
        use_cal = (self.calib_head.calibrated_columns(self.count_threshold)
                   if 'dual' in modes else None)
        return mode_scores(modes, bbox_out['cls_score'], cal_logits, use_cal)

    # ---------------------------------------------------------------- calibrate
    def calibration_logits(self, feats: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Calibration head logits of ``rois``; the RoI features carry no gradient."""
        with torch.no_grad():
            roi_feats = self.bbox_roi_extractor(feats, rois)
        return self.calib_head(roi_feats)
