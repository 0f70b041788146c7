"""The RoI head of a calibrated detector: the original box and mask heads plus the
calibration head, scored in one of SimCal's inference modes (stage 3).

One pass computes the RoI features, the original head's scores and box deltas, and
(for ``cal`` / ``dual``) the calibration head's scores; boxes and masks always come
from the original heads. ``predict_modes`` returns several modes from that one pass,
each with its own NMS and masks.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from torch import Tensor

from mmdet.datasets.statistics import SplitStatistics
from mmdet.models.roi_heads.standard_roi_head import StandardRoIHead
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmdet.structures.mask import take_masks
from .scores import calibrated_columns, check_mode, mode_scores


@MODELS.register_module()
class SimCalRoIHead(StandardRoIHead):
    """:class:`StandardRoIHead` with a calibration head (``calib_head``).

    Args:
        calib_head: the calibration head's config; ``num_classes``, ``in_channels``,
            ``roi_feat_size`` and ``fc_out_channels`` default to the box head's.
        inference_mode: 'orig', 'cal', 'dual' or 'all' (the three from one pass).
        count_threshold: T; in 'dual' mode classes with fewer TRAINING instances than T
            take the calibrated scores.
        train_ann_file: training annotation file whose instance counts T applies to.
        train_instance_counts: the counts themselves (per label), instead of the file.
    """

    def __init__(self, *args, calib_head: Optional[dict] = None,
                 inference_mode: str = 'dual', count_threshold: Optional[float] = 100,
                 train_ann_file: Optional[str] = None,
                 train_instance_counts: Optional[Sequence[int]] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calib_head = MODELS.build(self._calib_head_cfg(calib_head))
        if self.calib_head.num_classes != self.bbox_head.num_classes:
            raise ValueError(f'calib_head has {self.calib_head.num_classes} classes, the box '
                             f'head {self.bbox_head.num_classes}')
        self.inference_mode = check_mode(inference_mode)
        self.count_threshold = count_threshold
        self.train_ann_file = train_ann_file
        self.train_instance_counts = (None if train_instance_counts is None
                                      else list(train_instance_counts))
        self._use_cal_columns: Optional[Tensor] = None
        if self.inference_mode in ('dual', 'all'):
            self.check_dual_inputs()
        self._warned_uncalibrated = False

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

    def check_dual_inputs(self) -> None:
        """'dual' needs T and the training instance counts it applies to."""
        if self.count_threshold is None:
            raise ValueError("inference mode 'dual' needs model.roi_head.count_threshold (T)")
        if self.train_instance_counts is None and self.train_ann_file is None:
            raise ValueError(
                f"inference mode 'dual' applies T={self.count_threshold} to the training "
                'instance counts, but none were given: set model.roi_head.train_ann_file to '
                'the training annotation file')

    @property
    def use_cal_columns(self) -> Tensor:
        """Score columns that take the calibrated probability in 'dual' mode (read from
        the training annotation file on first use)."""
        if self._use_cal_columns is None:
            self.check_dual_inputs()
            counts = self.train_instance_counts
            if counts is None:
                if not osp.isfile(self.train_ann_file):
                    raise FileNotFoundError(
                        f'training annotation file not found: {self.train_ann_file} '
                        '(model.roi_head.train_ann_file, whose instance counts T applies to)')
                counts = SplitStatistics.from_annotation_file(self.train_ann_file).instance_counts
            if len(counts) != self.bbox_head.num_classes:
                source = self.train_ann_file or 'train_instance_counts'
                raise ValueError(f'{source} has {len(counts)} classes, the model '
                                 f'{self.bbox_head.num_classes}')
            self._use_cal_columns = calibrated_columns(counts, self.count_threshold)
        return self._use_cal_columns

    # ------------------------------------------------------------------ scoring
    def mode_scores(self, bbox_out: Dict[str, Tensor], modes: Sequence[str]
                    ) -> Dict[str, Tensor]:
        """Class probabilities of the RoIs in each mode (background last)."""
        needs_cal = any(m != 'orig' for m in modes)
        if needs_cal and not bool(self.calib_head.calibrated) and not self._warned_uncalibrated:
            print_log('roi_head.calib_head holds no calibration weights (a checkpoint '
                      "without them?): 'cal' and 'dual' scores are meaningless",
                      logger='current', level=30)
            self._warned_uncalibrated = True
        cal_logits = self.calib_head(bbox_out['bbox_feats']) if needs_cal else None
        use_cal = self.use_cal_columns if 'dual' in modes else None
        return mode_scores(modes, bbox_out['cls_score'], cal_logits, use_cal)

    def score_rois(self, bbox_out: Dict[str, Tensor]) -> Tensor:
        mode = 'dual' if self.inference_mode == 'all' else self.inference_mode
        return self.mode_scores(bbox_out, (mode,))[mode]

    # ------------------------------------------------------------------ predict
    def predict_modes(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                      batch_data_samples: list, modes: Sequence[str],
                      rescale: bool = False) -> Dict[str, List[InstanceData]]:
        """Detections of each mode in ``modes``: RoI features and head outputs computed
        once, then NMS and masks per mode (a detection shared by several modes, i.e.
        the same RoI and class, hence the same box, gets its mask computed once)."""
        metas = [s.metainfo for s in batch_data_samples]
        rois = bbox2roi([res.bboxes for res in rpn_results_list])
        out = self.bbox_forward(feats, rois)
        scores = self.mode_scores(out, modes)
        results = {mode: self.bbox_head.predict_by_feat(
            rois, out['cls_score'], out['bbox_pred'], metas, self.test_cfg,
            rescale=rescale and not self.with_mask, scores=scores[mode]) for mode in modes}
        if self.with_mask:
            results = self._predict_shared_masks(feats, metas, results, rescale)
        return results

    def _predict_shared_masks(self, feats: Tuple[Tensor], metas: List[dict],
                              results: Dict[str, List[InstanceData]], rescale: bool
                              ) -> Dict[str, List[InstanceData]]:
        """Masks of the union of the modes' detections, keyed by (RoI, class), handed
        back to each mode (with the boxes, rescaled alongside the masks)."""
        modes = list(results)
        if len(modes) == 1:
            return {modes[0]: self.predict_mask(feats, metas, results[modes[0]], rescale)}
        num_classes = self.bbox_head.num_classes
        unions, inverses = [], []
        for img in range(len(metas)):
            dets = [results[m][img] for m in modes]
            keys = torch.cat([d.roi_inds * num_classes + d.labels for d in dets])
            unique, inverse = torch.unique(keys, return_inverse=True)
            # one detection per key; any will do: the same RoI and class give the same box
            first = torch.empty(len(unique), dtype=torch.long, device=keys.device)
            first.scatter_(0, inverse, torch.arange(len(keys), device=keys.device))
            union = InstanceData(bboxes=torch.cat([d.bboxes for d in dets])[first],
                                 labels=torch.cat([d.labels for d in dets])[first])
            unions.append(union)
            inverses.append(inverse.split([len(d) for d in dets]))
        unions = self.predict_mask(feats, metas, unions, rescale)
        for img, union in enumerate(unions):
            for mode, inverse in zip(modes, inverses[img]):
                det = results[mode][img]
                det.bboxes = union.bboxes[inverse]
                det.masks = take_masks(union.masks, inverse)
        return results

    def predict(self, feats: Tuple[Tensor], rpn_results_list: List[InstanceData],
                batch_data_samples: list, rescale: bool = False) -> List[InstanceData]:
        mode = 'dual' if self.inference_mode == 'all' else self.inference_mode
        return self.predict_modes(feats, rpn_results_list, batch_data_samples, (mode,),
                                  rescale)[mode]

    # ---------------------------------------------------------------- calibrate
    def calibration_logits(self, feats: Tuple[Tensor], rois: Tensor) -> Tensor:
        """Calibration head logits of ``rois``; the RoI features carry no gradient."""
        with torch.no_grad():
            roi_feats = self.bbox_roi_extractor(feats, rois)
        return self.calib_head(roi_feats)
