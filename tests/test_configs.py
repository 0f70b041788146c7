"""Every shipped config parses, builds its model, and matches its dataset's classes."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

CONFIG_DIR = Path(__file__).resolve().parents[1] / 'configs'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)
# classes and detections per image (LVIS: 300; COCO-LT: the original's COCO 100)
EXPECTED_CLASSES = {'lvis_v0.5': (1230, 300), 'lvis_v1': (1203, 300), 'coco_lt': (80, 100)}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: str(p.relative_to(CONFIG_DIR)))
def test_config_builds(path):
    register_all_modules()
    cfg = Config.fromfile(str(path))
    model_cfg = cfg.model
    if model_cfg.get('backbone', {}).get('init_cfg'):
        model_cfg.backbone.init_cfg = None  # no downloads in tests
    model = MODELS.build(model_cfg)
    for tag, (num_classes, max_per_img) in EXPECTED_CLASSES.items():
        if path.stem.endswith(tag):
            heads = [model.roi_head.final_bbox_head, model.roi_head.final_mask_head]
            if model.roi_head.final_bbox_head is not model.roi_head.bbox_head:  # cascades
                heads += list(model.roi_head.bbox_head) + list(model.roi_head.mask_head)
            assert all(head.num_classes == num_classes for head in heads)
            assert cfg.test_cfg.type == 'TestLoop'
            assert cfg.model.test_cfg.rcnn.max_per_img == max_per_img
