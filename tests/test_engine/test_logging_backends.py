"""The documented TensorBoard switch: a training run with TensorboardVisBackend added to
the default runtime's visualizer writes event files holding the logged losses, beside
the scalars.json that analyze_logs.py reads."""
import json
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from mmdet.testing import make_toy_lvis
from tool_testing import REPO, run_tool


def test_tensorboard_backend_logs_the_losses(tmp_path):
    paths = make_toy_lvis(tmp_path / 'data', num_classes=8, num_train_images=8,
                          num_val_images=4, image_size=(64, 64), seed=0)
    data_root = str(paths['data_root']) + '/'
    cfg = tmp_path / 'tb.py'
    cfg.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root))
train_cfg = dict(max_epochs=1, val_interval=100)
val_dataloader = None
val_cfg = None
val_evaluator = None
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=100))
custom_hooks = []
visualizer = dict(vis_backends=[dict(type='LocalVisBackend'),
                                dict(type='TensorboardVisBackend')])
""")
    work = tmp_path / 'work'
    run_tool('tools/train.py', str(cfg), '--work-dir', str(work))
    events = sorted(work.glob('*/vis_data/events.out.tfevents.*'))
    assert events, list(work.rglob('*'))
    acc = EventAccumulator(str(events[0].parent))
    acc.Reload()
    logged = [e.value for e in acc.Scalars('loss')]
    scalars = Path(next(work.glob('*/vis_data/scalars.json')))
    expected = [json.loads(line)['loss'] for line in scalars.read_text().splitlines()
                if '"loss"' in line]
    assert len(logged) == len(expected) == 2  # two iterations of 4 images
    assert logged == pytest.approx(expected, rel=1e-6)  # TensorBoard keeps float32
