"""Calibration heads: a new classifier on the frozen detector's RoI features.

Variants (configs/simcal/README.md):

- ``2fc_rand``: fc (flattened RoI features -> hidden), fc_cls (hidden -> C + 1); random.
- ``3fc_rand``: fc, fc, fc_cls; random.
- ``3fc_ft``: the shape of the box head's classification path (shared fc1, fc2 and
  fc_cls), its weights COPIED from the trained box head, then fine-tuned (default).

Parameter names follow the box head (``shared_fcs.{i}``, ``fc_cls``), so the copy is
by name and a calibrated checkpoint reads like an mmdetection one.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmdet.registry import MODELS
from .scores import calibrated_columns

# variant -> (number of hidden fcs, initialised from the box head)
HEAD_VARIANTS = {'2fc_rand': (1, False), '3fc_rand': (2, False), '3fc_ft': (2, True)}


@MODELS.register_module()
class CalibrationHead(BaseModule):
    """``num_hidden`` fc + ReLU layers on flattened RoI features, then ``fc_cls``
    (``num_classes + 1`` logits, background last).

    Two buffers are saved with its weights: ``calibrated`` tells whether the head holds
    calibration weights (set when calibration starts, after the copy for ``*_ft``
    variants; a checkpoint without it shows an uncalibrated head), and
    ``train_instance_counts`` the training instance count of each class of the data it
    was calibrated on (see ``ClassImagePairDataset``), which T is applied to in 'dual'
    mode: testing a calibrated checkpoint needs no training annotation file.
    """

    def __init__(self, variant: str = '3fc_ft', num_classes: int = 1230,
                 in_channels: int = 256, roi_feat_size: int = 7,
                 fc_out_channels: int = 1024, init_cfg: Optional[dict] = None):
        if variant not in HEAD_VARIANTS:
            raise ValueError(f'unknown calibration head variant {variant!r}: choose one of '
                             f'{", ".join(HEAD_VARIANTS)}')
        if init_cfg is None:
            init_cfg = [dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
                        dict(type='Xavier', distribution='uniform',
                             override=dict(name='shared_fcs'))]
        super().__init__(init_cfg=init_cfg)
        self.variant = variant
        self.num_classes = num_classes
        num_hidden, self.copies_box_head = HEAD_VARIANTS[variant]
        dims = [in_channels * roi_feat_size * roi_feat_size] + [fc_out_channels] * num_hidden
        self.shared_fcs = nn.ModuleList(nn.Linear(i, o) for i, o in zip(dims[:-1], dims[1:]))
        self.fc_cls = nn.Linear(dims[-1], num_classes + 1)
        self.register_buffer('calibrated', torch.tensor(False))
        self.register_buffer('train_instance_counts',
                             torch.full((num_classes,), -1, dtype=torch.long))

    def forward(self, roi_feats: Tensor) -> Tensor:
        x = roi_feats.flatten(1)
        for fc in self.shared_fcs:
            x = F.relu(fc(x))
        return self.fc_cls(x)

    @torch.no_grad()
    def copy_from_box_head(self, bbox_head: nn.Module) -> None:
        """Copy the box head's classification path (shared fcs and fc_cls) exactly."""
        source = list(bbox_head.shared_fcs) + [bbox_head.fc_cls]
        target = list(self.shared_fcs) + [self.fc_cls]
        if len(source) != len(target) or any(s.weight.shape != t.weight.shape
                                             for s, t in zip(source, target)):
            shapes = lambda layers: [tuple(m.weight.shape) for m in layers]  # noqa: E731
            raise ValueError(f'{self.variant} copies the box head, whose classification path '
                             f'{shapes(source)} differs from this head {shapes(target)}')
        for src, dst in zip(source, target):
            dst.weight.copy_(src.weight)
            dst.bias.copy_(src.bias)

    def start_calibration(self, bbox_head: nn.Module, train_instance_counts) -> None:
        """Called once before the first calibration step, with the training counts of
        the calibration data: ``*_ft`` variants copy the box head. A head that already
        holds calibration weights (resuming) is left as it is."""
        if bool(self.calibrated):
            return
        counts = torch.as_tensor(list(train_instance_counts), dtype=torch.long)
        if counts.shape != self.train_instance_counts.shape:
            raise ValueError(f'the calibration data has {counts.numel()} classes, the '
                             f'calibration head {self.num_classes}')
        self.train_instance_counts.copy_(counts)
        if self.copies_box_head:
            self.copy_from_box_head(bbox_head)
            print_log(f'calibration head ({self.variant}): fcs and fc_cls copied from the '
                      'box head', logger='current')
        self.calibrated.fill_(True)

    def check_calibrated(self) -> None:
        if not bool(self.calibrated):
            raise RuntimeError(
                "the calibration head holds no calibration weights (the checkpoint has no "
                "calibrated roi_head.calib_head): 'cal' and 'dual' scores would be "
                "meaningless; calibrate first (tools/calibrate.py) or test with --mode orig")

    def calibrated_columns(self, threshold: float) -> Tensor:
        """The score columns 'dual' mode takes from this head: the classes with fewer
        than ``threshold`` training instances (background never)."""
        self.check_calibrated()
        counts = self.train_instance_counts
        if bool((counts < 0).any()):
            raise RuntimeError(
                'the calibrated head holds no training instance counts (roi_head.calib_head.'
                "train_instance_counts; checkpoints calibrated before 2026-12-02 lack them): "
                "'dual' mode cannot apply T. Add them with tools/misc/add_train_counts.py "
                'CKPT TRAIN_ANN_FILE OUT')
        return calibrated_columns(counts, threshold)


class CalibrationHeads(nn.ModuleList):
    """One calibration head per cascade stage, used as one head: the stages' logits are
    averaged (as a cascade averages its box heads' logits); ``forward`` takes each
    stage's RoI features. Names: ``calib_head.{stage}.*``."""

    @property
    def variant(self) -> str:
        return self[0].variant

    @property
    def num_classes(self) -> int:
        return self[0].num_classes

    @property
    def calibrated(self) -> Tensor:
        return torch.tensor(all(bool(head.calibrated) for head in self))

    @property
    def train_instance_counts(self) -> Tensor:
        return self[0].train_instance_counts

    def forward(self, stage_feats) -> Tensor:
        return sum(head(feats) for head, feats in zip(self, stage_feats)) / len(self)

    def start_calibration(self, bbox_heads, train_instance_counts) -> None:
        """Each stage's head starts from its own stage's box head (``*_ft``)."""
        for head, bbox_head in zip(self, bbox_heads):
            head.start_calibration(bbox_head, train_instance_counts)

    def check_calibrated(self) -> None:
        for head in self:
            head.check_calibrated()

    def calibrated_columns(self, threshold: float) -> Tensor:
        self.check_calibrated()
        return self[0].calibrated_columns(threshold)


COUNTS_KEY = 'roi_head.calib_head.train_instance_counts'


def put_train_counts(state: dict, train_ann_file: str, source: str = 'checkpoint') -> list:
    """Write the training instance counts of ``train_ann_file`` (per label, in
    category-id order, as the datasets number them) into the calibrated head of the
    weights ``state`` (a cascade's: into each stage's head); returns them."""
    import re

    from lvis_api import load_train_counts
    from mmdet.utils import CheckpointError
    prefixes = sorted({m.group(1) for key in state
                       for m in [re.fullmatch(r'(roi_head\.calib_head\.(?:\d+\.)?)fc_cls\.weight',
                                              key)] if m})
    if not prefixes or not all(bool(state.get(f'{p}calibrated', False)) for p in prefixes):
        raise CheckpointError(f'{source} holds no calibrated roi_head.calib_head')
    by_id = load_train_counts(train_ann_file)
    counts = [by_id[cat_id] for cat_id in sorted(by_id)]
    classes = state[f'{prefixes[0]}fc_cls.weight'].shape[0] - 1
    if len(counts) != classes:
        raise ValueError(f'{train_ann_file} has {len(counts)} categories, the calibration '
                         f'head of {source} {classes} classes')
    for prefix in prefixes:
        state[f'{prefix}train_instance_counts'] = torch.tensor(counts, dtype=torch.long)
    return counts
