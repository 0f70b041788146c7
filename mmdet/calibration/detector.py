"""The SimCal detector: a trained two-stage detector plus a calibration head.

Training it IS calibration (stage 2): the whole detector is frozen (eval mode, no
gradients; ``train()`` keeps it so), the backbone, neck and RPN run under
``torch.no_grad``, the mask head never runs, and only the calibration head learns, from
RoIs of the frozen RPN's proposals selected by :func:`select_calibration_rois`. So the
ordinary runner gives DDP, AMP, checkpoints, resuming and logging. Prediction is
stage 3: the plain two-stage predict path, whose RoI head scores in SimCal's modes
(see :class:`SimCalRoIHead`). Parameter names are those of the detector
(``backbone.*``, ``roi_head.bbox_head.*``, ...) plus ``roi_head.calib_head.*``: a
stage-1 or mmdetection checkpoint loads as it is, and the calibrated checkpoint holds
the whole model.
"""
import copy
import re
from functools import partial
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from mmdet.models.dense_heads.rpn_head import PROPOSAL_KEYS
from mmdet.models.detectors.two_stage import TwoStageDetector
from mmdet.models.losses import accuracy
from mmdet.registry import MODELS, TASK_UTILS
from mmdet.utils.checkpoint import CheckpointError
from mmdet.utils.config_keys import check_keys
from .roi_head import SimCalScoring
from .roi_selection import select_calibration_rois

CALIB_HEAD_PREFIX = 'roi_head.calib_head.'

# SimCal's calibration settings (configs/simcal/README.md); model.calib_cfg overrides
# them key by key.
DEFAULT_CALIB_CFG = dict(
    # the frozen RPN's proposals: 2000 per image after NMS 0.7
    proposal=dict(nms_pre=2000, max_per_img=2000, nms=dict(type='nms', iou_threshold=0.7),
                  min_bbox_size=0),
    # IoU >= 0.5 positive, below background
    assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5, min_pos_iou=0.5,
                  match_low_quality=True, ignore_iof_thr=-1),
    # 512 RoIs per image, <= 25 % positive, ground truth added as proposals
    sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1,
                 add_gt_as_proposals=True),
    drawn_class_only=True,  # keep only positives of the class the image was drawn for
    neg_pos_ratio=1.0,      # background RoIs per kept positive, over the batch
    # cascades: each stage's calibration RoIs assigned at that stage's IoU threshold
    stage_iou_thrs=(0.5, 0.6, 0.7))


@MODELS.register_module()
class SimCalDetector(TwoStageDetector):
    """A two-stage detector whose ``roi_head`` is a :class:`SimCalRoIHead`.

    Args:
        calib_cfg: calibration settings, see ``DEFAULT_CALIB_CFG``.
        (others): as :class:`TwoStageDetector`.
    """

    def __init__(self, *args, calib_cfg: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(getattr(self, 'roi_head', None), SimCalScoring):
            raise TypeError('SimCalDetector needs roi_head=dict(type="SimCalRoIHead", ...) '
                            '(or SimCalCascadeRoIHead, SimCalHTCRoIHead)')
        self.calib_cfg = copy.deepcopy(DEFAULT_CALIB_CFG)
        for key, value in (calib_cfg or {}).items():
            if key not in DEFAULT_CALIB_CFG:
                raise KeyError(f'unknown calib_cfg key {key!r}; known: '
                               f'{", ".join(DEFAULT_CALIB_CFG)}')
            self.calib_cfg[key] = _plain(value)
        check_keys(self.calib_cfg['proposal'], PROPOSAL_KEYS, 'model.calib_cfg.proposal')
        num_stages = getattr(self.roi_head, 'num_stages', 1)
        if num_stages == 1:
            assigners = [self.calib_cfg['assigner']]
        else:
            thrs = list(self.calib_cfg['stage_iou_thrs'])
            if len(thrs) != num_stages:
                raise ValueError(f'calib_cfg.stage_iou_thrs {thrs} needs one IoU threshold '
                                 f'per stage ({num_stages})')
            assigners = [dict(self.calib_cfg['assigner'], pos_iou_thr=t, neg_iou_thr=t,
                              min_pos_iou=t) for t in thrs]
        self.calib_assigners = [TASK_UTILS.build(a) for a in assigners]
        self.calib_sampler = TASK_UTILS.build(self.calib_cfg['sampler'])
        for name, param in self.named_parameters():
            param.requires_grad_(name.startswith(CALIB_HEAD_PREFIX))
        self.detector_loaded = False  # set when a state dict with detector weights loads
        self.register_load_state_dict_pre_hook(self._check_loaded_weights)

    @property
    def num_classes(self) -> int:
        return self.roi_head.final_bbox_head.num_classes

    @property
    def calib_head(self):
        return self.roi_head.calib_head

    def train(self, mode: bool = True) -> 'SimCalDetector':
        """Only the calibration head ever trains: the detector stays in eval mode."""
        super().train(False)
        self.training = mode
        self.roi_head.calib_head.train(mode)
        return self

    def _check_loaded_weights(self, module, state_dict: dict, prefix: str, *args) -> None:
        """Records that detector weights were loaded; a checkpoint for another number of
        classes is an error, not a warning."""
        pattern = re.compile(re.escape(prefix) + r'roi_head\.(bbox|calib)_head\.(\d+\.)?'
                             r'fc_cls\.weight')
        for key, weight in state_dict.items():
            match = pattern.fullmatch(key)
            if match is None:
                continue
            self.detector_loaded |= match.group(1) == 'bbox'
            if weight.shape[0] != self.num_classes + 1:
                raise CheckpointError(
                    f'the checkpoint\'s {key[len(prefix):]} has {weight.shape[0] - 1} '
                    f'classes (+ background), the model {self.num_classes}: the checkpoint '
                    'was trained for another dataset (or num_classes is wrong)')

    # ---------------------------------------------------------------- stage 2
    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        """Calibration losses of a batch of images drawn by class."""
        drawn_labels = [s.metainfo.get('drawn_label') for s in data_samples]
        if any(label is None for label in drawn_labels):
            raise KeyError('calibration needs the class each image was drawn for '
                           "(metainfo 'drawn_label'): use ClassImagePairDataset with "
                           'BiLevelClassBatchSampler')
        if not bool(self.calib_head.calibrated):
            raise RuntimeError('the calibration head was not started: calibration runs '
                               'with SimCalHook (tools/calibrate.py adds it)')
        with torch.no_grad():
            feats = self.roi_features(self.extract_feat(inputs))
            metas = [s.metainfo for s in data_samples]
            proposals = self.rpn_head.predict_by_feat(*self.rpn_head(feats), metas,
                                                      self.calib_cfg['proposal'],
                                                      rescale=False)
        select = partial(select_calibration_rois, drawn_labels=drawn_labels,
                         num_classes=self.num_classes,
                         neg_pos_ratio=self.calib_cfg['neg_pos_ratio'],
                         drawn_class_only=self.calib_cfg['drawn_class_only'])
        batches = self.roi_head.calibration_batches(feats, proposals, data_samples,
                                                    self.calib_assigners, self.calib_sampler,
                                                    select)
        if len(batches) == 1:
            return calibration_losses(*batches[0], self.num_classes)
        losses = {}
        for stage, (logits, labels) in enumerate(batches):
            for key, value in calibration_losses(logits, labels, self.num_classes).items():
                losses[f's{stage}.{key}'] = value
        return losses


def calibration_losses(logits: Tensor, labels: Tensor, num_classes: int) -> Dict[str, Tensor]:
    """Softmax cross-entropy over the ``C + 1`` classes, and accuracies (in %) overall,
    on foreground and on background RoIs."""
    if labels.numel() == 0:  # keeps every parameter in the graph (DDP)
        zero = logits.sum() * 0
        return dict(loss_cal=zero, acc=zero.detach(), acc_fg=zero.detach(),
                    acc_bg=zero.detach(), num_pos=zero.detach())
    fg = labels < num_classes
    out = dict(loss_cal=F.cross_entropy(logits, labels))
    with torch.no_grad():
        out['acc'] = accuracy(logits, labels)
        out['acc_fg'] = accuracy(logits[fg], labels[fg])
        out['acc_bg'] = accuracy(logits[~fg], labels[~fg])
        out['num_pos'] = fg.sum().float()
    return out


def _plain(value):
    """Config values as plain dicts and lists (checkpoints are read weights-only)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value) if isinstance(value, tuple) else [
            _plain(v) for v in value]
    return value


def trainable_parameter_names(model: torch.nn.Module) -> List[str]:
    return [name for name, p in model.named_parameters() if p.requires_grad]
