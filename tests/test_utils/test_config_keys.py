"""Config keys nothing reads are errors; the keys mmdetection configs carry are read."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401
from detection_testing import make_batch
from mmdet.registry import MODELS
from mmdet.utils.config_keys import check_keys

TINY = Path(__file__).resolve().parents[2] / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def test_check_keys_names_the_section_and_the_closest_key():
    check_keys(None, ('a',), 'x')
    check_keys(dict(score_thr=1), ('score_thr', 'nms'), 'x')
    with pytest.raises(KeyError, match=r"model.test_cfg.rcnn has keys nothing reads: "
                                       r"'score_thresh' \(did you mean 'score_thr'\?\)"):
        check_keys(dict(score_thresh=1), ('score_thr', 'nms'), 'model.test_cfg.rcnn')


@pytest.mark.parametrize('section, key, value, match', [
    ('test_cfg.rcnn', 'mask_format', 'rle', r'model\.test_cfg\.rcnn has keys nothing reads'),
    ('test_cfg.rpn', 'nms_thr', 0.7, r"model\.test_cfg\.rpn .*'nms_thr'"),
    ('train_cfg.rcnn', 'pos_wieght', 1, "did you mean 'pos_weight'"),
    ('train_cfg.rpn', 'debug', True, 'debug=True is not supported'),
    ('train_cfg', 'rcn', {}, "did you mean 'rcnn'"),
    ('train_cfg.rcnn', 'mask_size', 14, 'mask_size=14, but the mask head predicts 28x28'),
    ('test_cfg.rcnn', 'nms', dict(type='soft_nms', iou_threshold=0.5), "'soft_nms' is not"),
])
def test_models_reject_keys_they_would_ignore(section, key, value, match):
    cfg = Config.fromfile(str(TINY)).model
    target = cfg
    for part in section.split('.'):
        target = target[part]
    target[key] = value
    with pytest.raises((KeyError, ValueError), match=match):
        MODELS.build(cfg)


def test_the_rcnn_pos_weight_reaches_the_box_loss():
    cfg = Config.fromfile(str(TINY)).model
    cfg.train_cfg.rcnn.pos_weight = 3.0
    model = MODELS.build(cfg)
    model.init_weights()
    seen = []
    get_targets = model.roi_head.bbox_head.get_targets
    model.roi_head.bbox_head.get_targets = lambda res, pos_weight=-1: (
        seen.append(pos_weight) or get_targets(res, pos_weight))
    model.train()
    model(**model.data_preprocessor(make_batch(), True), mode='loss')
    assert seen == [3.0]


def test_mmdetection_train_keys_are_honoured():
    """``debug=False`` and ``mask_size=28`` (as mmdetection configs give them) build;
    ``pos_weight`` weighs the positive RoIs in the classification loss."""
    cfg = Config.fromfile(str(TINY)).model
    cfg.train_cfg.rpn.debug = False
    cfg.train_cfg.rcnn.update(debug=False, mask_size=28)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(make_batch(), True)
    feats = model.extract_feat(data['inputs'])
    proposals = model.rpn_head.predict(feats, data['data_samples'], rescale=False)
    torch.manual_seed(0)
    results = model.roi_head.sample_rois(proposals, data['data_samples'])
    head = model.roi_head.bbox_head
    labels, plain, _, _ = head.get_targets(results)
    _, weighted, _, _ = head.get_targets(results, pos_weight=3.0)
    pos = labels < head.num_classes
    assert pos.any() and (~pos).any()
    assert (plain == 1).all() and (weighted[pos] == 3).all() and (weighted[~pos] == 1).all()
