"""mmdetection v1 cascades (the SimCal paper's released HTC) in the current layout: the
HTC reference weights in v1's layout convert back to themselves, per-stage calibration
heads merge into a SimCal HTC that loads strictly, DCN offsets are renamed, and the
released configs take converted checkpoints of their exact shapes."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils import CheckpointError, read_checkpoint
from mmdet.utils.model_versions import convert_v1_checkpoint, upgrade_v1_detector
from data_testing import load_reference
from model_version_testing import v1_calib_head_layout, v1_detector_layout

REPO = Path(__file__).resolve().parents[2]
RELEASED = REPO / 'configs/simcal/released'


def _simcal_htc_cfg(ref):
    cfg = Config.fromstring(ref['config'], '.py').model
    cfg.type = 'SimCalDetector'
    cfg.roi_head.update(type='SimCalHTCRoIHead', inference_mode='dual', count_threshold=2,
                        calib_head=dict(type='CalibrationHead', variant='3fc_ft'))
    return cfg


def test_htc_in_v1_layout_converts_back_to_itself():
    ref = load_reference('htc_r18c16_fpn_small.pt')
    state = ref['state_dict']
    dcn_cfg = load_reference('resnext_dcn_small.pt')['backbones']['resnext50_g2_dcn_c3_c5'][0]
    dcn = MODELS.build(dcn_cfg).state_dict()  # a DCN backbone: its offsets renamed too
    state = dict(state, **{f'dcn_backbone.{k}': v for k, v in dcn.items()})
    assert any('.conv2.conv_offset.' in k for k in state)
    old = v1_detector_layout(state, agnostic_reg=True)
    assert 'bbox_head.2.fc_cls.weight' in old and 'semantic_head.conv_logits.weight' in old
    assert 'mask_head.0.conv_res.conv.weight' in old  # v1 HTC's unused first conv_res
    assert any('.conv2_offset.' in k for k in old)
    new, found = upgrade_v1_detector(old)
    assert found['num_stages'] == 3 and found['reg_class_agnostic']
    assert not found['mask_class_agnostic']
    assert list(new) == list(state)
    for key, value in state.items():
        assert torch.equal(new[key], value), key


def test_per_stage_heads_merge_into_a_simcal_htc(tmp_path):
    ref = load_reference('htc_r18c16_fpn_small.pt')
    torch.manual_seed(0)
    model = MODELS.build(_simcal_htc_cfg(ref))
    detector = {k: v for k, v in model.state_dict().items() if 'calib_head' not in k}
    det_file = tmp_path / 'epoch_20.pth'
    torch.save(dict(meta={}, state_dict=v1_detector_layout(detector, agnostic_reg=True)),
               det_file)
    heads = []
    for s in range(3):
        state = {f'roi_head.calib_head.{k}': torch.randn_like(v) if v.is_floating_point() else v
                 for k, v in model.roi_head.calib_head[s].state_dict().items()}
        heads.append(tmp_path / f'3fc_ft_stage{s}.pth')
        torch.save(dict(state_dict=v1_calib_head_layout(state)), heads[-1])
    num_classes = model.roi_head.calib_head[0].num_classes
    images = [dict(id=1, width=8, height=8, file_name='1.jpg')]
    cats = [dict(id=c + 1, name=f'c{c}') for c in range(num_classes)]
    anns = [dict(id=i + 1, image_id=1, category_id=i % num_classes + 1, bbox=[0, 0, 2, 2],
                 area=4, segmentation=[[0, 0, 2, 0, 2, 2]]) for i in range(num_classes + 2)]
    train = tmp_path / 'train.json'
    train.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    out = tmp_path / 'simcal_htc.pth'
    with pytest.raises(CheckpointError, match='one calibration head per stage'):
        convert_v1_checkpoint(str(det_file), str(out), calib_head=[str(heads[0])])
    assert not out.exists()
    found = convert_v1_checkpoint(str(det_file), str(out), calib_head=[str(h) for h in heads],
                                  train_ann_file=str(train))
    assert found['num_stages'] == 3
    converted = read_checkpoint(out)['state_dict']
    model.load_state_dict(converted, strict=True)
    for s in range(3):
        head = model.roi_head.calib_head[s]
        assert bool(head.calibrated)
        assert head.train_instance_counts.tolist() == [2, 2] + [1] * (num_classes - 2)
        theirs = read_checkpoint(heads[s])['state_dict']['feat_classifier.fc_classifier.weight']
        assert torch.equal(head.fc_cls.weight[-1], theirs[0])  # background moved last


@pytest.mark.parametrize('name, stages, agnostic_mask', [
    ('simcal_3fc_ft_htc_x101_64x4d_fpn_dconv_c3-c5_lvis_v0.5_v1.py', 3, False),
    ('simcal_3fc_ft_r50_fpn_ag_coco_lt_v1.py', 0, True)])
def test_released_configs_take_converted_checkpoints(name, stages, agnostic_mask, tmp_path):
    """A checkpoint of the released model's shapes, saved in v1's layout with its heads,
    converts into exactly the keys and shapes the released config's model has."""
    cfg = Config.fromfile(str(RELEASED / name))
    cfg.model.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    calib_prefix = 'roi_head.calib_head.'
    full = model.state_dict()
    detector = {k: v for k, v in full.items() if not k.startswith(calib_prefix)}
    det_file = tmp_path / 'release.pth'
    torch.save(dict(state_dict=v1_detector_layout(detector, agnostic_reg=True,
                                                   agnostic_mask=agnostic_mask)), det_file)
    heads = []
    for s in range(max(stages, 1)):
        prefix = f'{calib_prefix}{s}.' if stages else calib_prefix
        heads.append(tmp_path / f'head{s}.pth')
        torch.save(dict(state_dict=v1_calib_head_layout(full, prefix=prefix)), heads[-1])
    out = tmp_path / 'converted.pth'
    convert_v1_checkpoint(str(det_file), str(out), calib_head=[str(h) for h in heads])
    converted = read_checkpoint(out)['state_dict']
    expected = {k: v.shape for k, v in full.items() if not k.endswith('train_instance_counts')}
    assert {k: v.shape for k, v in converted.items()} == expected
