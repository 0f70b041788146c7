"""The COCO path end to end on the toy data in COCO format (crowd regions, no LVIS
fields): tools/test.py of a stage-1 model with CocoMetric, then SimCal calibration on
CocoDataset and tools/test.py --mode all, as the COCO-LT configs run them."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.testing import make_toy_lvis
from mmdet.testing.toy_lvis import write_coco_annotations
from tool_testing import run_tool, write_tiny_simcal_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    root = tmp_path_factory.mktemp('coco_toy')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=5, image_size=(64, 64), seed=0)
    paths = write_coco_annotations(paths, crowd_fraction=0.1)
    data_root = str(paths['data_root']) + '/'
    torch.manual_seed(0)
    detector = MODELS.build(Config.fromfile(
        str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')).model)
    detector.init_weights()
    ckpt = root / 'stage1.pth'
    torch.save(dict(meta=dict(mmdet_version='3.3.0'), state_dict=detector.state_dict()), ckpt)
    return root, data_root, ckpt


def _metrics(work_dir: Path) -> dict:
    log = sorted(work_dir.glob('*/*.json'))[-1]
    return json.loads(log.read_text().strip().splitlines()[-1])


def test_stage1_test_reports_coco_metrics(toy_coco):
    root, data_root, ckpt = toy_coco
    cfg = root / 'stage1.py'
    cfg.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_coco.py']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_evaluator = dict(ann_file=data_root + 'annotations/instances_toy_val.json',
                      train_ann_file=data_root + 'annotations/instances_toy_train.json')
""")
    work = root / 'test_stage1'
    run_tool('tools/test.py', str(cfg), str(ckpt), '--work-dir', str(work))
    metrics = _metrics(work)
    for key in ('coco/bbox_AP', 'coco/segm_AP', 'coco/segm_AR@100', 'coco/bbox_AP1',
                'coco/segm_bAP'):
        assert key in metrics, key
    assert not any(k.endswith('_APr') for k in metrics)


def test_simcal_calibrates_on_coco_data_and_tests_three_modes(toy_coco):
    root, data_root, ckpt = toy_coco
    cfg = write_tiny_simcal_config(
        root / 'simcal.py', REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_coco.py',
        data_root, ann_prefix='instances_toy')
    work = root / 'cal'
    run_tool('tools/calibrate.py', str(cfg), '--load-from', str(ckpt), '--work-dir',
             str(work), '--seed', '0')
    test_dir = root / 'test_cal'
    proc = run_tool('tools/test.py', str(cfg), str(work / 'iter_3.pth'), '--mode', 'all',
                    '--work-dir', str(test_dir))
    for mode in ('orig', 'cal', 'dual'):
        assert f'| segm | {mode}' in proc.stdout
    assert 'APr' not in proc.stdout.split('| mode')[-1].splitlines()[0]
    report = json.loads((test_dir / 'simcal_modes.json').read_text())['metrics']
    for values in report.values():
        assert {'bbox_AP', 'segm_AP', 'segm_AR@100', 'segm_AP1', 'segm_bAP'} <= set(values)
