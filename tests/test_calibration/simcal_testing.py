"""Helpers of the calibration tests: tiny SimCal detectors and batches built in memory,
tiny annotation files."""
import json
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmdet.utils.setup_env import register_all_modules

REPO = Path(__file__).resolve().parents[2]
TOY_SIMCAL = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'
NUM_CLASSES = 8
# training instance counts per label for T: labels 0-3 below T=100, 4-7 above
COUNTS = [0, 3, 40, 99, 100, 150, 400, 2000]

register_all_modules()
init_default_scope('mmdet')


def simcal_cfg(num_classes=NUM_CLASSES, variant='3fc_ft', mode='dual', counts=COUNTS,
               threshold=100) -> Config:
    cfg = Config.fromfile(str(TOY_SIMCAL))
    roi = cfg.model.roi_head
    roi.bbox_head.num_classes = num_classes
    roi.mask_head.num_classes = num_classes
    roi.calib_head.variant = variant
    roi.inference_mode = mode
    roi.count_threshold = threshold
    roi.train_ann_file = None
    roi.train_instance_counts = counts
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    return cfg


def build_simcal(seed=0, **kwargs):
    from mmdet.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(simcal_cfg(**kwargs).model)
    model.init_weights()
    return model


def make_batch(num_classes=NUM_CLASSES, sizes=((96, 128), (120, 100)), seed=0,
               drawn_labels=None):
    """Random images with 3 boxes each; ``drawn_labels`` go into the metainfo (and the
    first box of each image gets that label)."""
    from mmdet.structures import DetDataSample, InstanceData
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i, (h, w) in enumerate(sizes):
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen))
        n = 3
        xy = torch.rand(n, 2, generator=gen) * torch.tensor([w * 0.5, h * 0.5])
        wh = 16 + torch.rand(n, 2, generator=gen) * torch.tensor([w * 0.4, h * 0.4])
        boxes = torch.cat([xy, xy + wh], 1)
        labels = torch.randint(0, num_classes, (n,), generator=gen)
        meta = dict(img_id=i, img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0))
        if drawn_labels is not None:
            labels[0] = drawn_labels[i]
            meta['drawn_label'] = drawn_labels[i]
        gt = InstanceData(bboxes=boxes, labels=labels)
        samples.append(DetDataSample(gt_instances=gt, metainfo=meta))
    return dict(inputs=inputs, data_samples=samples)


def write_lvis_json(path: Path, images, categories, annotations) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(images=images, categories=categories,
                                    annotations=annotations)))
    return path


