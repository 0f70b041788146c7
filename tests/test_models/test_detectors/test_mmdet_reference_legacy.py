"""mmdetection v1 models: the legacy fixture (mmdetection 3.3's legacy-1.x Mask R-CNN,
tests/data/mmdet_reference/mask_rcnn_r18c16_fpn_legacy_v1.pt) reproduced from its
v1-layout weights through the converter, and the original SimCal head converted."""
import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401
from mmdet.calibration.heads import CalibrationHead
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import CheckpointError
from mmdet.utils.model_versions import upgrade_v1_calib_head, upgrade_v1_detector

from data_testing import load_reference, rle_to_masks
from detection_testing import predict_reference
from model_version_testing import v1_detector_layout

BOX_ATOL, BOX_RTOL, SCORE_ATOL = 1e-3, 0., 1e-4  # the file README's tolerances


@pytest.fixture(scope='module')
def legacy():
    return load_reference('mask_rcnn_r18c16_fpn_legacy_v1.pt')


@pytest.fixture(scope='module')
def converted(legacy):
    return upgrade_v1_detector(legacy['v1_checkpoint']['state_dict'], num_classes=8)


def test_converter_gives_the_reference_weights(legacy, converted):
    state, found = converted
    assert found == dict(num_classes=8, num_stages=0, reg_class_agnostic=False,
                         mask_class_agnostic=False)
    assert list(state) == list(legacy['state_dict'])
    for key, value in legacy['state_dict'].items():
        assert torch.equal(state[key], value), key


@pytest.fixture(scope='module')
def model(legacy, converted):
    model = MODELS.build(Config.fromstring(legacy['config'], '.py').model)
    model.load_state_dict(converted[0], strict=True)
    return model.eval()


def test_legacy_detections_from_v1_weights(legacy, model):
    preds = predict_reference(model, legacy)
    for i, (pred, ref, meta) in enumerate(zip(preds, legacy['detections'], legacy['metainfo'])):
        assert torch.equal(pred.labels, ref['labels']), f'image {i}: labels differ'
        tol = BOX_ATOL + BOX_RTOL * ref['bboxes'].abs()
        assert ((pred.bboxes - ref['bboxes']).abs() <= tol).all(), f'image {i} boxes'
        assert (pred.scores - ref['scores']).abs().max() <= SCORE_ATOL, f'image {i} scores'
        masks = pred.masks.to_bitmap()
        flips = (masks != rle_to_masks(ref['masks'], meta['ori_shape'])).sum().item()
        assert flips <= 5, f'image {i}: {flips} mask pixels differ'


def test_original_simcal_head_gives_the_stored_logits(legacy, model):
    state = upgrade_v1_calib_head(legacy['v1_calib_head_3fc']['state_dict'], num_classes=8)
    head = CalibrationHead('3fc_rand', num_classes=8, in_channels=32, roi_feat_size=7,
                           fc_out_channels=64)
    prefix = 'roi_head.calib_head.'
    missing, unexpected = head.load_state_dict(
        {k[len(prefix):]: v for k, v in state.items()}, strict=False)
    assert missing == ['train_instance_counts'] and not unexpected  # counts: add_train_counts
    ref = legacy['calib_head_logits_on_proposals']
    images = [img.permute(2, 0, 1).contiguous() for img in legacy['images']]
    samples = [DetDataSample(metainfo=dict(img_shape=m['img_shape'], ori_shape=m['ori_shape'],
                                           scale_factor=m['scale_factor']))
               for m in legacy['metainfo']]
    with torch.no_grad():
        batch = model.data_preprocessor(dict(inputs=images, data_samples=samples))
        feats = model.extract_feat(batch['inputs'])
        logits = head(model.roi_head.bbox_roi_extractor(feats[:4], ref['rois']))
    assert (logits - ref['cls_score']).abs().max() <= 1e-3


@pytest.mark.parametrize('agnostic', [False, True])
def test_round_trip_of_class_wise_and_agnostic_detectors(agnostic):
    cfg = Config.fromfile('configs/toy/mask_rcnn_r18c16_fpn_tiny.py').model
    cfg.roi_head.bbox_head.reg_class_agnostic = agnostic
    cfg.roi_head.mask_head.class_agnostic = agnostic
    torch.manual_seed(3)
    state = MODELS.build(cfg).state_dict()
    back, found = upgrade_v1_detector(v1_detector_layout(state, agnostic, agnostic))
    assert found['reg_class_agnostic'] == found['mask_class_agnostic'] == agnostic
    assert list(back) == list(state)
    for key, value in state.items():
        assert torch.equal(back[key], value), key


@pytest.mark.parametrize('variant, layout', [('3fc_rand', 'feat_classifier'),
                                             ('3fc_ft', 'feat_classifier'),
                                             ('2fc_rand', 'feat_extractor')])
def test_round_trip_of_the_three_head_layouts(variant, layout):
    torch.manual_seed(4)
    head = CalibrationHead(variant, num_classes=5, in_channels=4, roi_feat_size=2,
                           fc_out_channels=6)
    names = (['fc1', 'fc2', 'fc_classifier'] if layout == 'feat_classifier'
             else ['fc1', 'fc2'])
    layers = list(head.shared_fcs) + [head.fc_cls]
    original = {}
    for name, layer in zip(names, layers):
        weight, bias = layer.weight.detach(), layer.bias.detach()
        if layer is head.fc_cls:
            weight, bias = torch.cat([weight[-1:], weight[:-1]]), torch.cat([bias[-1:], bias[:-1]])
        original[f'{layout}.{name}.weight'], original[f'{layout}.{name}.bias'] = weight, bias
    state = upgrade_v1_calib_head(original, num_classes=5)
    for key, value in head.state_dict().items():
        if key != 'train_instance_counts':
            assert torch.equal(state[f'roi_head.calib_head.{key}'], value.to(state[
                f'roi_head.calib_head.{key}'].dtype)) or key == 'calibrated', key
    assert bool(state['roi_head.calib_head.calibrated'])


def test_bad_v1_inputs_are_named(legacy, converted):
    with pytest.raises(CheckpointError, match='already 2.x/3.x'):
        upgrade_v1_detector(converted[0], source='new.pth')
    with pytest.raises(CheckpointError, match=r'has 8 classes .*--num-classes says 5'):
        upgrade_v1_detector(legacy['v1_checkpoint']['state_dict'], num_classes=5)
    state = dict(legacy['v1_checkpoint']['state_dict'])
    state['bbox_head.fc_reg.weight'] = state['bbox_head.fc_reg.weight'][:20]
    with pytest.raises(CheckpointError, match=r'bbox_head\.fc_reg\.weight has shape \(20, 64\)'):
        upgrade_v1_detector(state, source='odd.pth')
    with pytest.raises(CheckpointError, match=r'has 8 classes .*the detector 5'):
        upgrade_v1_calib_head(legacy['v1_calib_head_3fc']['state_dict'], num_classes=5)
