"""The main job end to end on tiny toy data: stage 1, then run_simcal (calibration, the
three modes from one test pass, per-class tables and the plot)."""
from pathlib import Path

import pytest

from mmdet.apis import run_toy_demo
from mmdet.testing import make_toy_lvis

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def configs(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=4, image_size=(64, 64), seed=0)
    data = str(paths['data_root']) + '/'
    val, train = data + 'annotations/lvis_toy_val.json', data + 'annotations/lvis_toy_train.json'
    heads = 'roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8))'
    stage1 = root / 'stage1.py'
    stage1.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']
data_root = '{data}'
model = dict({heads})
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file='{val}', train_ann_file='{train}')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=1, val_interval=1)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=1, by_epoch=True, milestones=[1])]
default_hooks = dict(logger=dict(interval=1))
""")
    simcal = root / 'simcal.py'
    simcal.write_text(f"""
_base_ = ['{REPO}/configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py']
data_root = '{data}'
model = dict({heads})
train_dataloader = dict(batch_sampler=dict(num_classes_per_iter=4),
                        dataset=dict(dataset=dict(data_root=data_root)))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_evaluator = dict(ann_file='{val}', train_ann_file='{train}')
train_cfg = dict(max_iters=2)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=2, milestones=[1])]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=2))
""")
    return root, stage1, simcal


def test_three_stages_report_the_modes_side_by_side(configs, capsys):
    root, stage1, simcal = configs
    result = run_toy_demo(str(stage1), str(simcal), str(root / 'work'))
    work = root / 'work'
    assert (work / 'epoch_1.pth').is_file() and Path(result['checkpoint']).is_file()
    assert set(result['metrics']) == {'orig', 'cal', 'dual'}
    for values in result['metrics'].values():
        assert {'bbox_AP', 'segm_AP', 'segm_APr', 'segm_bAP'} <= set(values)
    assert 'segm_AP' in result['stage1'] and result['total_s'] > 0
    for mode in ('orig', 'cal', 'dual'):
        assert f'| segm | {mode}' in result['table']
        assert (work / 'simcal' / 'test' / f'per_class_ap.{mode}.segm.csv').is_file()
    assert Path(result['plot']).read_bytes()[:4] == b'\x89PNG'
    assert '| segm | dual' in capsys.readouterr().out
