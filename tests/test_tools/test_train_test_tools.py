"""tools/train.py and tools/test.py end to end on tiny generated data: an exact resume
after SIGKILL, and distributed (torchrun, 2 CPU processes) testing equal to one process."""
import glob
import json
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mmdet.testing import make_toy_lvis
from mmdet.utils.checkpoint import read_checkpoint
from http_testing import name_by_sha256, serve_folder
from tool_testing import run_tool, tool_env

REPO = Path(__file__).resolve().parents[2]
NUM_VAL = 7  # odd: the distributed sampler pads one image on 2 ranks


@pytest.fixture(scope='module')
def toy_config(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=NUM_VAL, image_size=(64, 64), seed=0)
    data_root = str(paths['data_root']) + '/'
    cfg = root / 'tiny_toy.py'
    cfg.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/lvis_toy_val.json',
                     train_ann_file=data_root + 'annotations/lvis_toy_train.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=3, val_interval=100)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=3, by_epoch=True, milestones=[2])]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
custom_hooks = []
""")
    return root, cfg


def _weights(path):
    return read_checkpoint(path)['state_dict']


@pytest.fixture(scope='module')
def trained(toy_config):
    root, cfg = toy_config
    work = root / 'uninterrupted'
    run_tool('tools/train.py', str(cfg), '--work-dir', str(work), '--seed', '0',
             '--deterministic')
    return work / 'epoch_3.pth'


def test_resume_after_sigkill_reaches_the_same_weights(toy_config, trained):
    root, cfg = toy_config
    work = root / 'killed'
    cmd = [sys.executable, 'tools/train.py', str(cfg), '--work-dir', str(work), '--seed', '0',
           '--deterministic']
    proc = subprocess.Popen(cmd, cwd=REPO, env=tool_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (work / 'epoch_1.pth').exists():
        assert proc.poll() is None and time.time() < deadline, 'training ended early'
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (work / 'epoch_3.pth').exists(), 'the run finished before it was killed'
    # the checkpoint that existed at the kill is complete (written, synced, then renamed)
    assert 'state_dict' in read_checkpoint(work / 'epoch_1.pth')
    run_tool('tools/train.py', str(cfg), '--work-dir', str(work), '--seed', '0',
             '--deterministic', '--resume')
    ours, theirs = _weights(work / 'epoch_3.pth'), _weights(trained)
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert torch.equal(ours[key], theirs[key]), f'{key} differs after resume'


def _test_metrics(work_dir):
    """The LVIS metrics of the test run in ``work_dir`` (no timings)."""
    logs = sorted(glob.glob(str(Path(work_dir) / '*' / '*.json')))
    assert logs, f'no metrics json in {work_dir}'
    with open(logs[-1]) as f:
        metrics = json.loads(f.read().strip().splitlines()[-1])
    return {k: v for k, v in metrics.items() if k.startswith('lvis/')}


def test_distributed_test_equals_single_process(toy_config, trained):
    root, cfg = toy_config
    single, dist = root / 'test_single', root / 'test_dist'
    run_tool('tools/test.py', str(cfg), str(trained), '--work-dir', str(single),
             '--out', str(single / 'results.pkl'))
    run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29517',
             'tools/test.py', str(cfg), str(trained), '--launcher', 'pytorch',
             '--work-dir', str(dist), '--out', str(dist / 'results.pkl'))
    ours, theirs = _test_metrics(dist), _test_metrics(single)
    assert 'lvis/segm_AP' in theirs and 'lvis/bbox_bAP' in theirs
    assert ours == theirs
    with open(dist / 'results.pkl', 'rb') as f:
        img_ids = [r['img_id'] for r in pickle.load(f)]
    assert len(img_ids) == NUM_VAL and len(set(img_ids)) == NUM_VAL  # no padding duplicate


def test_distributed_training_runs(toy_config):
    root, cfg = toy_config
    work = root / 'dist_train'
    run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port=29518',
             'tools/train.py', str(cfg), '--launcher', 'pytorch', '--work-dir', str(work),
             '--cfg-options', 'train_cfg.max_epochs=1')
    assert (work / 'epoch_1.pth').exists()


def test_test_tool_reads_a_published_checkpoint_by_url(toy_config, trained, tmp_path,
                                                       monkeypatch):
    """CKPT as an https-style URL (a local server): downloaded once into $TORCH_HOME,
    its sha256 prefix checked; the same metrics as the local file."""
    root, cfg = toy_config
    served = tmp_path / 'served'
    served.mkdir()
    shutil.copy(trained, served / 'toy_mask_rcnn.pth')
    name = name_by_sha256(served / 'toy_mask_rcnn.pth').name
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    requests = []
    with serve_folder(served, requests) as url:
        for run in ('url', 'url_cached'):
            run_tool('tools/test.py', str(cfg), f'{url}/{name}', '--work-dir',
                     str(root / run))
    assert requests == [f'/{name}']
    run_tool('tools/test.py', str(cfg), str(trained), '--work-dir', str(root / 'local'))
    local = _test_metrics(root / 'local')
    assert 'lvis/bbox_AP' in local and _test_metrics(root / 'url') == local
    assert [p.name.split('-', 1)[1] for p in (tmp_path / 'torch_home/hub/checkpoints').iterdir()
            ] == [name]
