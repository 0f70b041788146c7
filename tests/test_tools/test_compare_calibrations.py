"""BAGS training with tools/train.py from a stage-1 checkpoint (only fc_cls learns) and
tools/analysis/compare_calibrations.py on tiny generated data: SimCal, BAGS, NorCal and
tau-norm of one stage-1 model in one table and one plot."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.testing import make_toy_lvis
from mmdet.utils import register_all_modules
from mmdet.utils.checkpoint import read_checkpoint
from tool_testing import run_tool, run_tool_failing, write_tiny_simcal_config

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def write_tiny_config(path: Path, base: str, data_root: str) -> Path:
    """A toy config (``base``) for the 8-class tiny data: 1 epoch (3 steps) of training."""
    path.write_text(f"""
_base_ = ['{REPO / base}']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
val_dataloader = test_dataloader
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_toy_val.json',
                      train_ann_file=data_root + 'annotations/lvis_toy_train.json')
val_evaluator = test_evaluator
train_cfg = dict(max_epochs=1, val_interval=2)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1))
""")
    return path


def stage1_checkpoint(path: Path, seed: int) -> Path:
    register_all_modules()
    torch.manual_seed(seed)
    detector = MODELS.build(Config.fromfile(str(TINY)).model)
    detector.init_weights()
    torch.save(dict(meta=dict(), state_dict=detector.state_dict()), path)
    return path


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('compare')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=4, image_size=(64, 64), seed=0)
    data_root = str(paths['data_root']) + '/'
    simcal_cfg = write_tiny_simcal_config(
        root / 'tiny_simcal.py', REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
        data_root)
    bags_cfg = write_tiny_config(root / 'tiny_bags.py',
                                 'configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py', data_root)
    write_tiny_config(root / 'tiny_stage1.py', 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py',
                      data_root)
    stage1 = stage1_checkpoint(root / 'stage1.pth', seed=0)
    run_tool('tools/train.py', str(bags_cfg), '--work-dir', str(root / 'bags'),
             '--cfg-options', f'load_from={stage1}')
    run_tool('tools/calibrate.py', str(simcal_cfg), '--load-from', str(stage1),
             '--work-dir', str(root / 'simcal'), '--seed', '0')
    return root, data_root, simcal_cfg, bags_cfg, stage1


def test_bags_training_changes_only_the_classifier(setup):
    root, data_root, _, _, stage1 = setup
    before = torch.load(stage1, weights_only=True)['state_dict']
    after = read_checkpoint(root / 'bags' / 'epoch_1.pth')['state_dict']
    for key, value in before.items():
        if key.startswith('roi_head.bbox_head.fc_cls.'):
            assert after[key].shape[0] == 2 + 8 + 4  # grouped: bg/fg, 8 classes, 4 "others"
        else:
            assert torch.equal(after[key], value), key  # BatchNorm statistics included
    train = json.loads(Path(data_root, 'annotations/lvis_toy_train.json').read_text())
    counts = [sum(a['category_id'] == c['id'] for a in train['annotations'])
              for c in sorted(train['categories'], key=lambda c: c['id'])]
    assert after['roi_head.bbox_head.train_instance_counts'].tolist() == counts
    log = sorted((root / 'bags').glob('*/*.log'))[-1].read_text()
    steps = [line for line in log.splitlines() if 'Epoch(train)' in line]
    assert len(steps) == 3 and all('loss_cls' in line and 'loss_mask' not in line
                                   and 'loss_rpn' not in line for line in steps)


def test_compare_calibrations(setup):
    root, _, simcal_cfg, bags_cfg, _ = setup
    work = root / 'compare'
    proc = run_tool('tools/analysis/compare_calibrations.py', str(simcal_cfg),
                    str(root / 'simcal' / 'iter_3.pth'), '--bags', str(bags_cfg),
                    str(root / 'bags' / 'epoch_1.pth'), '--gamma', '0.5',
                    '--sweep-tau', '0.5', '1', '--no-tau', '--work-dir', str(work))
    saved = json.loads((work / 'comparison.json').read_text())
    methods = saved['methods']
    assert methods[:4] == ['orig', 'cal', 'dual', 'bags'] and methods[4] == 'norcal@0.5'
    best_tau = max(['tau@0.5', 'tau@1'], key=lambda m: saved['metrics'][m]['segm_AP'])
    assert methods[5] == best_tau
    assert saved['notes'][0].startswith(f'{best_tau}: the best AP of the tau sweep')
    for method in methods:
        assert f'| segm | {method} ' in proc.stdout
        assert {'bbox_AP', 'segm_APr', 'segm_AP4', 'segm_bAP'} <= set(saved['metrics'][method])
    assert 'tau@1 ' in saved['sweep_table'] and 'tau@0.5 ' in saved['sweep_table']
    assert (work / 'ap_vs_frequency.png').read_bytes()[:4] == b'\x89PNG'
    # the one test pass scored the modes as tools/test.py scores each alone
    alone = root / 'alone'
    run_tool('tools/test.py', str(simcal_cfg), str(root / 'simcal' / 'iter_3.pth'),
             '--mode', 'norcal@0.5', '--work-dir', str(alone))
    metrics = json.loads(sorted(alone.glob('*/*.json'))[-1].read_text())
    assert metrics['lvis/segm_AP'] == pytest.approx(saved['metrics']['norcal@0.5']['segm_AP'],
                                                    abs=1e-4)


def test_compare_notes_a_bags_model_of_another_detector(setup, tmp_path):
    root, _, simcal_cfg, bags_cfg, _ = setup
    other = stage1_checkpoint(tmp_path / 'other.pth', seed=1)
    proc = run_tool('tools/analysis/compare_calibrations.py', str(simcal_cfg),
                    str(root / 'simcal' / 'iter_3.pth'), '--bags', str(bags_cfg),
                    str(root / 'bags' / 'epoch_1.pth'), '--sweep-gamma', '0.3', '1',
                    '--no-plot', '--work-dir', str(tmp_path / 'same'))
    assert 'not trained from the same stage-1 model' not in proc.stdout
    saved = json.loads((tmp_path / 'same' / 'comparison.json').read_text())
    best = max(['norcal@0.3', 'norcal@1'], key=lambda m: saved['metrics'][m]['segm_AP'])
    assert saved['methods'] == ['orig', 'cal', 'dual', 'bags', best, 'tau@1']
    assert saved['notes'] == [f'{best}: the best AP of the gamma sweep, chosen on the '
                              'evaluated set (NorCal tunes gamma on val)']
    proc = run_tool('tools/analysis/compare_calibrations.py', str(root / 'tiny_stage1.py'),
                    str(other), '--bags', str(bags_cfg), str(root / 'bags' / 'epoch_1.pth'),
                    '--gamma', '0.5', '--no-plot', '--work-dir', str(tmp_path / 'other'))
    assert 'not trained from the same stage-1 model' in proc.stdout
    assert '| segm | cal ' not in proc.stdout  # a stage-1 model has no calibrated head
    failed = run_tool_failing('tools/analysis/compare_calibrations.py', str(simcal_cfg),
                              str(tmp_path / 'missing.pth'), '--gamma', '0.5')
    assert 'no such file' in failed.stderr and 'missing.pth' in failed.stderr
    failed = run_tool_failing('tools/analysis/compare_calibrations.py', str(simcal_cfg),
                              str(root / 'simcal' / 'iter_3.pth'))
    assert 'NorCal needs a gamma' in failed.stderr
    failed = run_tool_failing('tools/analysis/compare_calibrations.py', str(simcal_cfg),
                              str(root / 'simcal' / 'iter_3.pth'), '--gamma', '1', '--no-tau')
    assert 'tau-normalisation needs a tau' in failed.stderr
