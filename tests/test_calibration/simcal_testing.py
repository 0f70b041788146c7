"""Helpers of the calibration tests: tiny SimCal detectors and batches built in memory,
tiny annotation files."""
import json
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from detection_testing import make_batch as detection_batch
from mmdet.utils import register_all_modules

REPO = Path(__file__).resolve().parents[2]
TOY_SIMCAL = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'
NUM_CLASSES = 8
# training instance counts per label for T: labels 0-3 below T=100, 4-7 above
COUNTS = [0, 3, 40, 99, 100, 150, 400, 2000]

register_all_modules()
init_default_scope('mmdet')


def simcal_cfg(num_classes=NUM_CLASSES, variant='3fc_ft', mode='dual',
               threshold=100) -> Config:
    cfg = Config.fromfile(str(TOY_SIMCAL))
    roi = cfg.model.roi_head
    roi.bbox_head.num_classes = num_classes
    roi.mask_head.num_classes = num_classes
    roi.calib_head.variant = variant
    roi.inference_mode = mode
    roi.count_threshold = threshold
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    return cfg


def build_simcal(seed=0, **kwargs):
    """A SimCal detector with random weights and an uncalibrated head."""
    from mmdet.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(simcal_cfg(**kwargs).model)
    model.init_weights()
    return model


def mark_calibrated(model, counts=COUNTS):
    """Let the (random, different) calibration head count as calibrated with ``counts``."""
    model.calib_head.train_instance_counts.copy_(torch.as_tensor(counts))
    model.calib_head.calibrated.fill_(True)
    return model


def make_batch(num_classes=NUM_CLASSES, sizes=((96, 128), (120, 100)), seed=0,
               drawn_labels=None):
    """Tiny batches (see tests/detection_testing.py) for this folder's class count."""
    return detection_batch(num_classes, sizes, seed, drawn_labels)


def write_lvis_json(path: Path, images, categories, annotations) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(images=images, categories=categories,
                                    annotations=annotations)))
    return path


