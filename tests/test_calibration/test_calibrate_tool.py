"""tools/calibrate.py and tools/test.py --mode on tiny generated data: calibration of a
checkpoint with mmdetection names, one process and two (torchrun, gloo), then the three
modes from one test pass; bad inputs."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.apis import build_calibration_cfg
from mmdet.registry import MODELS
from mmdet.testing import make_toy_lvis
from mmdet.utils.checkpoint import CheckpointError, read_checkpoint
from tool_testing import load_tool, run_tool, write_tiny_simcal_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    """Tiny data, a SimCal config for it, and a random 'stage-1' Mask R-CNN saved as
    mmdetection saves checkpoints."""
    root = tmp_path_factory.mktemp('simcal')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=4, image_size=(64, 64), seed=0)
    data_root = str(paths['data_root']) + '/'
    cfg_path = root / 'tiny_simcal.py'
    write_tiny_simcal_config(cfg_path, REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
                             data_root)
    stage1 = Config.fromfile(str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')).model
    torch.manual_seed(0)
    detector = MODELS.build(stage1)
    detector.init_weights()
    ckpt = root / 'mmdet_style.pth'
    torch.save(dict(meta=dict(mmdet_version='3.3.0', CLASSES=[str(i) for i in range(8)]),
                    state_dict=detector.state_dict()), ckpt)
    return root, cfg_path, ckpt


def test_calibrate_then_test_three_modes(setup):
    root, cfg, ckpt = setup
    work = root / 'cal'
    run_tool('tools/calibrate.py', str(cfg), '--load-from', str(ckpt), '--work-dir',
             str(work), '--seed', '0')
    out = read_checkpoint(work / 'iter_3.pth')
    state, before = out['state_dict'], torch.load(ckpt, weights_only=True)['state_dict']
    for key, value in before.items():  # the detector is saved unchanged
        assert torch.equal(state[key], value), key
    assert bool(state['roi_head.calib_head.calibrated'])
    assert not torch.equal(state['roi_head.calib_head.fc_cls.weight'],
                           before['roi_head.bbox_head.fc_cls.weight'])  # it trained
    meta = out['meta']['simcal']
    assert meta['head_variant'] == '3fc_ft' and meta['count_threshold'] == 100
    train = json.loads((root / 'data/annotations/lvis_toy_train.json').read_text())
    counts = [sum(a['category_id'] == c['id'] for a in train['annotations'])
              for c in sorted(train['categories'], key=lambda c: c['id'])]
    assert state['roi_head.calib_head.train_instance_counts'].tolist() == counts
    assert all(n.startswith('roi_head.calib_head.') for n in meta['trained_parameters'])

    # resuming continues from the work dir's latest calibration checkpoint
    run_tool('tools/calibrate.py', str(cfg), '--load-from', str(ckpt), '--work-dir',
             str(work), '--resume', '--cfg-options', 'train_cfg.max_iters=4')
    resumed = read_checkpoint(work / 'iter_4.pth')
    assert resumed['meta']['iter'] == 4
    log = sorted(work.glob('*/*.log'))[-1].read_text()
    assert 'resumed epoch: 0, iter: 3' in log and 'Iter(train) [4/4]' in log

    test_dir = root / 'test'
    proc = run_tool('tools/test.py', str(cfg), str(work / 'iter_4.pth'), '--mode', 'all',
                    '--work-dir', str(test_dir), '--classwise')
    for mode in ('orig', 'cal', 'dual'):
        assert f'| segm | {mode}' in proc.stdout
        assert (test_dir / f'per_class_ap.{mode}.segm.csv').is_file()  # --classwise
    report = json.loads((test_dir / 'simcal_modes.json').read_text())['metrics']
    assert set(report) == {'orig', 'cal', 'dual'}
    for values in report.values():
        assert {'bbox_AP', 'segm_AP', 'segm_APr', 'segm_AP1', 'segm_bAP'} <= set(values)
        assert not any(k.startswith('segm_AP_') for k in values)  # per class: in the tables


def test_calibrate_on_two_processes(setup):
    root, cfg, ckpt = setup
    work = root / 'cal_dist'
    run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29531',
             'tools/calibrate.py', str(cfg), '--load-from', str(ckpt), '--launcher',
             'pytorch', '--work-dir', str(work), '--cfg-options', 'train_cfg.max_iters=2')
    state = read_checkpoint(work / 'iter_2.pth')
    assert bool(state['state_dict']['roi_head.calib_head.calibrated'])
    log = next(work.glob('*/*.log')).read_text()
    assert 'Iter(train) [2/2]' in log and 'acc_fg' in log
    # the 4 classes of an iteration split over the 2 processes
    assert '4 classes per iteration over 2 process(es), 1 image(s) each: 2 images per ' \
           'process' in log


def test_bad_inputs(setup, tmp_path):
    _, cfg, ckpt = setup
    state = torch.load(ckpt, weights_only=True)['state_dict']
    for key in ('roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_cls.bias'):
        state[key] = state[key][:6]  # a detector of 5 classes
    wrong = tmp_path / 'five_classes.pth'
    torch.save(state, wrong)
    with pytest.raises(CheckpointError, match=r'classifies 5 classes .* the config 8'):
        build_calibration_cfg(str(cfg), str(wrong))
    torch.save({'backbone.conv1.weight': torch.zeros(1)}, tmp_path / 'backbone.pth')
    with pytest.raises(CheckpointError, match='holds no neck, rpn_head, roi_head.bbox_head'):
        build_calibration_cfg(str(cfg), str(tmp_path / 'backbone.pth'))
    plain = tmp_path / 'plain.py'
    plain.write_text(f"_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']\n")
    with pytest.raises(ValueError, match='not a SimCal config'):
        build_calibration_cfg(str(plain), str(ckpt))
    with pytest.raises(SystemExit):
        load_tool('tools/calibrate.py').parse_args([str(cfg)])  # no detector to calibrate
