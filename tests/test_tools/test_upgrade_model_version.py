"""tools/model_converters/upgrade_model_version.py end to end on the toy data: a stage-1
model saved in mmdetection v1's layout, converted, calibrated and tested with --mode all
gives what the unconverted model gives; an original-layout SimCal head merged by the
converter tests as the calibrated checkpoint it came from; mismatched checkpoints and
configs are clear errors that write nothing."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.apis import build_calibration_cfg, init_detector
from mmdet.registry import MODELS
from mmdet.testing import make_toy_lvis
from mmdet.utils import CheckpointError, read_checkpoint
from model_version_testing import v1_calib_head_layout, v1_detector_layout
from tool_testing import run_tool, run_tool_failing, write_tiny_simcal_config

REPO = Path(__file__).resolve().parents[2]
CONVERTER = 'tools/model_converters/upgrade_model_version.py'


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """Tiny data, a SimCal config with v1 numerics for it, and a random stage-1 detector
    saved in both layouts."""
    root = tmp_path_factory.mktemp('v1')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=4, image_size=(64, 64), seed=0)
    data_root = str(paths['data_root']) + '/'
    v1 = root / 'simcal_v1_numerics.py'
    v1.write_text(f"""
_base_ = ['{REPO}/configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
          '{REPO}/configs/_base_/models/v1_numerics.py']
model = {{{{_base_.v1_numerics}}}}
""")
    cfg = root / 'tiny_simcal_v1.py'
    write_tiny_simcal_config(cfg, v1, data_root)  # v1 configs test without a score threshold
    torch.manual_seed(0)
    detector = MODELS.build(Config.fromfile(str(cfg)).model)
    detector.init_weights()
    state = {k: v for k, v in detector.state_dict().items()
             if not k.startswith('roi_head.calib_head.')}
    plain, old = root / 'stage1.pth', root / 'stage1_v1.pth'
    torch.save(dict(meta=dict(mmdet_version='3.3.0'), state_dict=state), plain)
    torch.save(dict(meta=dict(mmdet_version='1.0rc0'), state_dict=v1_detector_layout(state),
                    optimizer={}), old)
    return dict(root=root, cfg=cfg, plain=plain, v1=old, data_root=Path(data_root))


def _calibrate_and_test(cfg, ckpt, work):
    run_tool('tools/calibrate.py', str(cfg), '--load-from', str(ckpt), '--work-dir',
             str(work / 'cal'), '--seed', '0')
    return _test(cfg, work / 'cal' / 'iter_3.pth', work / 'test')


def _test(cfg, ckpt, work):
    run_tool('tools/test.py', str(cfg), str(ckpt), '--mode', 'all', '--work-dir', str(work))
    return json.loads((work / 'simcal_modes.json').read_text())['metrics']


@pytest.fixture(scope='module')
def unconverted(toy):
    return _calibrate_and_test(toy['cfg'], toy['plain'], toy['root'] / 'unconverted')


def test_v1_layout_converted_calibrated_and_tested_equals_unconverted(toy, unconverted):
    converted = toy['root'] / 'converted.pth'
    run_tool(CONVERTER, str(toy['v1']), str(converted), '--num-classes', '8')
    meta = read_checkpoint(converted)['meta']['converted_from']
    assert meta['detector'] == str(toy['v1']) and meta['layout'] == 'mmdetection v1'
    table = _calibrate_and_test(toy['cfg'], converted, toy['root'] / 'converted')
    assert table == unconverted
    assert set(table) == {'orig', 'cal', 'dual'} and table['dual']['bbox_AP'] > 0
    ours = read_checkpoint(toy['root'] / 'converted/cal/iter_3.pth')['state_dict']
    theirs = read_checkpoint(toy['root'] / 'unconverted/cal/iter_3.pth')['state_dict']
    assert ours.keys() == theirs.keys()
    assert all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_original_head_merged_by_the_converter_tests_as_calibrated(toy, unconverted):
    calibrated = read_checkpoint(toy['root'] / 'unconverted/cal/iter_3.pth')['state_dict']
    head = toy['root'] / '3fc_ft.pth'
    torch.save(dict(state_dict=v1_calib_head_layout(calibrated)), head)
    merged = toy['root'] / 'released.pth'
    run_tool(CONVERTER, str(toy['v1']), str(merged), '--calib-head', str(head),
             '--train-ann', str(toy['data_root'] / 'annotations/lvis_toy_train.json'))
    assert _test(toy['cfg'], merged, toy['root'] / 'released') == unconverted


def test_mismatched_checkpoints_are_named_and_nothing_is_written(toy, tmp_path):
    cfg = str(toy['cfg'])
    # a v1-layout checkpoint, unconverted
    with pytest.raises(CheckpointError, match=r'stage1_v1\.pth is an mmdetection v1 '
                                              r'checkpoint.*upgrade_model_version\.py'):
        build_calibration_cfg(cfg, str(toy['v1']))
    with pytest.raises(CheckpointError, match='is an mmdetection v1 checkpoint'):
        init_detector(cfg, str(toy['v1']))
    # a converted v1 model in a config of the current numerics
    converted = tmp_path / 'converted.pth'
    run_tool(CONVERTER, str(toy['v1']), str(converted))
    current = tmp_path / 'current.py'
    current.write_text(f"_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_tiny.py']\n")
    with pytest.raises(CheckpointError, match=r"converted\.pth was trained with mmdetection "
                                              r"v1's box convention.*Use a v1 config"):
        init_detector(str(current), str(converted))
    # a model trained with the current numerics in a v1 config
    trained = tmp_path / 'trained_current.pth'
    torch.save(dict(meta=dict(cfg=Config.fromfile(str(current)).pretty_text),
                    state_dict=read_checkpoint(toy['plain'])['state_dict']), trained)
    with pytest.raises(CheckpointError, match='trained with the current box convention'):
        build_calibration_cfg(cfg, str(trained))
    # class-wise checkpoint, class-agnostic config: named before the data loads
    agnostic = tmp_path / 'agnostic.py'
    agnostic.write_text(f"_base_ = ['{cfg}']\nmodel = dict(roi_head=dict(bbox_head=dict("
                        'reg_class_agnostic=True), mask_head=dict(class_agnostic=True)))\n')
    with pytest.raises(CheckpointError, match=r'stage1\.pth: roi_head\.bbox_head\.fc_reg\.'
                                              r'weight has shape \(32, 64\), the config\'s '
                                              r'model \(4, 64\)'):
        build_calibration_cfg(str(agnostic), str(toy['plain']))
    proc = run_tool_failing('tools/calibrate.py', str(agnostic), '--load-from',
                            str(toy['plain']), '--work-dir', str(tmp_path / 'work'))
    assert 'fc_reg.weight has shape (32, 64)' in proc.stderr
    assert not list((tmp_path / 'work').glob('**/*.pth'))
    # and the reverse, at test time: agnostic weights, class-wise config
    state = read_checkpoint(toy['plain'])['state_dict']
    for key in ('roi_head.bbox_head.fc_reg.weight', 'roi_head.bbox_head.fc_reg.bias'):
        state[key] = state[key][:4]
    torch.save(dict(state_dict=state), tmp_path / 'ag.pth')
    with pytest.raises(CheckpointError, match=r'(?s)fc_reg\.weight: checkpoint \(4, 64\) vs '
                                              r'model \(32, 64\).*class-agnostic'):
        init_detector(cfg, str(tmp_path / 'ag.pth'))
    # the converter: a head of another class count than the detector, nothing written
    head = {f'feat_classifier.{n}.weight': torch.zeros(6 if n == 'fc_classifier' else 4, 4)
            for n in ('fc1', 'fc2', 'fc_classifier')}
    torch.save(head, tmp_path / 'head5.pth')
    proc = run_tool_failing(CONVERTER, str(toy['v1']), str(tmp_path / 'out.pth'),
                            '--calib-head', str(tmp_path / 'head5.pth'))
    assert 'has 5 classes' in proc.stderr and 'the detector 8' in proc.stderr
    assert not (tmp_path / 'out.pth').exists()

