"""SIGKILL during calibration and testing, then resume or re-run: the same final weights
and results as an uninterrupted run (on the CPU), and no file of the killed run left.
(Training: tests/test_tools/test_train_test_tools.py.)"""
import pickle
import signal
import subprocess
import sys
import time

import torch

from mmdet.utils import read_checkpoint
from reliability_testing import REPO, save_model_checkpoint
from tool_testing import assert_same_values, run_tool, tool_env

SIMCAL_TOY = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


def _kill_when(args, ready, timeout=300):
    """Run ``python ARGS`` and SIGKILL it as soon as ``ready()`` holds."""
    proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=tool_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + timeout
    while not ready():
        assert proc.poll() is None, f'{args[0]} ended before it could be killed'
        assert time.time() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_calibration_killed_then_resumed_ends_with_the_same_weights(toy, tmp_path):
    _, cfg, data_root = toy
    calib_cfg = tmp_path / 'calib.py'
    calib_cfg.write_text(f"""
_base_ = ['{SIMCAL_TOY}']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_sampler=dict(num_classes_per_iter=4),
                        dataset=dict(dataset=dict(data_root=data_root)))
train_cfg = dict(max_iters=12)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=12, milestones=[6])]
default_hooks = dict(logger=dict(interval=1),
                     checkpoint=dict(interval=2, max_keep_ckpts=10, save_last=True))
custom_hooks = []
""")
    detector = save_model_checkpoint(cfg, tmp_path / 'detector.pth')
    args = ['tools/calibrate.py', str(calib_cfg), '--load-from', str(detector)]
    run_tool(*args, '--work-dir', str(tmp_path / 'whole'))
    killed = tmp_path / 'killed'
    _kill_when([*args, '--work-dir', str(killed)], lambda: (killed / 'iter_2.pth').exists())
    assert not (killed / 'iter_12.pth').exists(), 'the run finished before it was killed'
    run_tool(*args, '--work-dir', str(killed), '--resume')
    ours = read_checkpoint(killed / 'iter_12.pth')['state_dict']
    theirs = read_checkpoint(tmp_path / 'whole' / 'iter_12.pth')['state_dict']
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert torch.equal(ours[key], theirs[key]), f'{key} differs after the resume'


def test_test_killed_then_rerun_gives_the_same_results_and_no_orphans(toy, model_ckpt,
                                                                        tmp_path):
    _, cfg, data_root = toy
    options = ['--cfg-options', 'test_dataloader.batch_size=1',
               f'test_dataloader.dataset.ann_file={data_root}annotations/lvis_toy_train.json',
               f'test_evaluator.ann_file={data_root}annotations/lvis_toy_train.json']
    whole, killed = tmp_path / 'whole', tmp_path / 'killed'
    run_tool('tools/test.py', str(cfg), str(model_ckpt), '--work-dir', str(whole),
             '--out', str(whole / 'results.pkl'), *options)
    shards = killed / 'result_shards'
    _kill_when(['tools/test.py', str(cfg), str(model_ckpt), '--work-dir', str(killed),
                '--out', str(killed / 'results.pkl'), *options],
               lambda: shards.is_dir() and any(p.stat().st_size for p in shards.iterdir()))
    assert not (killed / 'results.pkl').exists()
    left = sorted(p.name for p in shards.iterdir())
    assert left, 'the killed run left no shard to clean up'
    run_tool('tools/test.py', str(cfg), str(model_ckpt), '--work-dir', str(killed),
             '--out', str(killed / 'results.pkl'), *options)
    assert not shards.exists() or not any(p.name in left for p in shards.iterdir())
    with open(whole / 'results.pkl', 'rb') as f, open(killed / 'results.pkl', 'rb') as g:
        assert_same_values(pickle.load(f), pickle.load(g))
