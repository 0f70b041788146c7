"""What a checkpoint's meta tells of the box convention it was trained with, and the
convention of a model or config."""
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils.model_versions import (checkpoint_convention, config_convention,
                                        is_v1_detector, model_convention)

TINY = str(Path(__file__).resolve().parents[2] / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')
V1_TEXT = "rpn_head=dict(anchor_generator=dict(type='LegacyAnchorGenerator'))"


@pytest.mark.parametrize('ckpt, convention', [
    (dict(state_dict={}), None),
    (dict(meta=dict(mmdet_version='1.0rc0'), state_dict={}), None),
    (dict(meta=dict(converted_from=dict(layout='mmdetection v1'))), 'v1'),
    (dict(meta=dict(cfg=V1_TEXT)), 'v1'),                        # mmengine runners
    (dict(meta=dict(config=V1_TEXT)), 'v1'),                     # mmdetection 2.x
    (dict(meta=dict(cfg="model = dict(type='MaskRCNN')")), 'current'),
    (dict(meta=dict(config="model = dict(type='MaskRCNN')")), 'current'),
])
def test_checkpoint_convention_from_its_meta(ckpt, convention):
    assert checkpoint_convention(ckpt) == convention


def test_model_and_config_conventions_agree():
    cfg = Config.fromfile(TINY).model
    assert config_convention(cfg) == model_convention(MODELS.build(cfg)) == 'current'
    cfg.rpn_head.anchor_generator.type = 'LegacyAnchorGenerator'
    assert config_convention(cfg) == model_convention(MODELS.build(cfg)) == 'v1'
    cfg = Config.fromfile(TINY).model
    cfg.roi_head.bbox_head.bbox_coder.type = 'LegacyDeltaXYWHBBoxCoder'
    assert config_convention(cfg) == model_convention(MODELS.build(cfg)) == 'v1'


@pytest.mark.parametrize('keys, v1', [
    (['backbone.conv1.weight', 'bbox_head.fc_cls.weight', 'mask_head.conv_logits.weight'], True),
    (['bbox_head.0.fc_cls.weight', 'bbox_head.1.fc_cls.weight'], True),  # v1 cascade
    (['roi_head.bbox_head.fc_cls.weight'], False),
    (['bbox_head.retina_cls.weight', 'bbox_head.retina_reg.weight'], False),  # single stage
    (['backbone.conv1.weight'], False),
])
def test_v1_two_stage_layout_is_recognised(keys, v1):
    assert is_v1_detector(dict.fromkeys(keys)) == v1
