"""Our Mask R-CNN reproduces mmdetection 3.3 stage by stage on the same weights.

The fixture (tests/data/mmdet_reference/mask_rcnn_r18c16_fpn_small.pt) holds weights,
two input images and the outputs of mmdetection 3.3 for a small Mask R-CNN, masks as
COCO RLE; see tests/data/README.md.
"""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401
from mmdet.models.roi_heads.roi_extractors.single_level_roi_extractor import map_roi_levels
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.structures.bbox import bbox2roi

from data_testing import rle_to_masks

ATOL = 1e-4
REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope='module')
def reference(mmdet_reference):
    return mmdet_reference


@pytest.fixture(scope='module')
def model(reference):
    cfg = Config.fromstring(reference['config'], '.py')
    model = MODELS.build(cfg.model)
    result = model.load_state_dict(reference['state_dict'], strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    return model.eval()


@pytest.fixture(scope='module')
def batch(model, reference):
    samples = [DetDataSample(metainfo=dict(img_shape=m['img_shape'], ori_shape=m['ori_shape'],
                                           scale_factor=m['scale_factor'], img_id=m['img_id']))
               for m in reference['metainfo']]
    images = [img.permute(2, 0, 1).contiguous() for img in reference['images']]
    with torch.no_grad():
        return model.data_preprocessor(dict(inputs=images, data_samples=samples))


@pytest.fixture(scope='module')
def feats(model, batch):
    with torch.no_grad():
        return model.extract_feat(batch['inputs'])


def _close(ours, theirs, atol=ATOL, what=''):
    assert ours.shape == theirs.shape, f'{what}: shape {ours.shape} != {theirs.shape}'
    diff = (ours.float() - theirs.float()).abs().max().item() if ours.numel() else 0.0
    assert diff <= atol, f'{what}: max abs diff {diff} > {atol}'


def test_preprocessing(batch, reference):
    _close(batch['inputs'], reference['batch_inputs'], 1e-5, 'batch_inputs')
    for sample, meta in zip(batch['data_samples'], reference['metainfo']):
        assert tuple(sample.batch_input_shape) == tuple(meta['batch_input_shape'])
        assert tuple(sample.pad_shape) == tuple(meta['pad_shape'])


def test_backbone_and_neck(model, batch, feats, reference):
    with torch.no_grad():
        backbone = model.backbone(batch['inputs'])
    for i, (ours, theirs) in enumerate(zip(backbone, reference['backbone_feats'])):
        _close(ours, theirs, 1e-3, f'backbone level {i}')
    assert len(feats) == len(reference['neck_feats'])
    for i, (ours, theirs) in enumerate(zip(feats, reference['neck_feats'])):
        _close(ours, theirs, 1e-3, f'neck level {i}')


def test_rpn_outputs_anchors_and_proposals(model, batch, feats, reference):
    with torch.no_grad():
        cls_scores, bbox_preds = model.rpn_head(feats)
        anchors = model.rpn_head.prior_generator.grid_priors(
            [s.shape[-2:] for s in cls_scores])
        proposals = model.rpn_head.predict_by_feat(
            cls_scores, bbox_preds, [s.metainfo for s in batch['data_samples']],
            model.test_cfg['rpn'])
    for lvl in range(len(cls_scores)):
        _close(cls_scores[lvl], reference['rpn_cls_scores'][lvl], 1e-3, f'rpn_cls L{lvl}')
        _close(bbox_preds[lvl], reference['rpn_bbox_preds'][lvl], 1e-3, f'rpn_reg L{lvl}')
        _close(anchors[lvl], reference['anchors'][lvl], 0, f'anchors L{lvl}')
    for i, (ours, theirs) in enumerate(zip(proposals, reference['proposals'])):
        assert len(ours) == theirs['bboxes'].shape[0], f'image {i}: proposal count'
        # 1e-3 px: our BN is folded into the convs, rounding the features differently
        _close(ours.bboxes, theirs['bboxes'], 1e-3, f'image {i} proposal boxes')
        _close(ours.scores, theirs['scores'], ATOL, f'image {i} proposal scores')


def test_box_head_on_reference_proposals(model, feats, reference):
    ref = reference['roi_bbox_results_on_proposals']
    rois = bbox2roi([p['bboxes'] for p in reference['proposals']])
    _close(rois, ref['rois'], 0, 'rois')
    with torch.no_grad():
        out = model.roi_head.bbox_forward(feats, rois)
    _close(out['cls_score'], ref['cls_score'], 1e-3, 'cls_score')
    _close(out['bbox_pred'], ref['bbox_pred'], 1e-3, 'bbox_pred')


def test_roi_probe_all_levels(model, feats, reference):
    probe = reference['roi_probe']
    assert torch.equal(map_roi_levels(probe['rois'], 4), probe['levels'].long())
    with torch.no_grad():
        roi_feats = model.roi_head.bbox_roi_extractor(feats, probe['rois'])
        cls_score, bbox_pred = model.roi_head.bbox_head(roi_feats)
        mask_logits = model.roi_head.mask_forward(feats, probe['rois'])
    _close(roi_feats, probe['bbox_roi_feats'], 1e-4, 'probe roi feats')
    _close(cls_score, probe['cls_score'], 1e-3, 'probe cls_score')
    _close(bbox_pred, probe['bbox_pred'], 1e-3, 'probe bbox_pred')
    _close(mask_logits, probe['mask_logits'], 1e-3, 'probe mask logits')


def test_mask_logits_on_reference_detections(model, feats, reference):
    ref = reference['mask_logits_on_detections']
    rois = bbox2roi([d['bboxes'] for d in reference['detections']])
    _close(rois, ref['rois'], 0, 'mask rois')
    with torch.no_grad():
        logits = model.roi_head.mask_forward(feats, rois)
    _close(logits, ref['mask_logits'], 1e-3, 'mask logits')


def test_end_to_end_detections_and_masks(model, batch, reference):
    with torch.no_grad():
        samples = model.predict(batch['inputs'], batch['data_samples'])
    detections = [dict(det, masks=rle_to_masks(det['masks'], meta['ori_shape']))
                  for det, meta in zip(reference['detections'], reference['metainfo'])]
    for i, (sample, ref) in enumerate(zip(samples, detections)):
        pred = sample.pred_instances
        assert torch.equal(pred.labels, ref['labels']), f'image {i}: labels differ'
        # 1e-3 px as for the proposals (and the file's README): box-head inputs differ by
        # float rounding of the folded BN, which MKL/oneDNN kernels round differently per CPU
        _close(pred.bboxes, ref['bboxes'], 1e-3, f'image {i} boxes')
        _close(pred.scores, ref['scores'], ATOL, f'image {i} scores')
        masks = pred.masks.to_bitmap()
        assert masks.shape == ref['masks'].shape
        flips = (masks != ref['masks']).sum().item()
        assert flips <= 5, f'image {i}: {flips} mask pixels differ'


def test_reference_weights_load_into_config_model(reference):
    """The tiny toy config builds exactly the reference architecture."""
    cfg = Config.fromfile(REPO_ROOT / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')
    model = MODELS.build(cfg.model)
    ours = {k: v.shape for k, v in model.state_dict().items()}
    theirs = {k: v.shape for k, v in reference['state_dict'].items()}
    assert ours == theirs
