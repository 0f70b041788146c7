"""Running the command-line tools from tests, in a subprocess from the repository root."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tool_env() -> dict:
    """The environment of a tool run: the repo importable, one thread, no stale rank."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    env.pop('LOCAL_RANK', None)
    return env


def run_tool(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python ARGS`` from the repo root; fails the test with the output's tail."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def run_tool_failing(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python ARGS`` that must exit non-zero (a refused input); returns the run."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode != 0, 'the tool succeeded: ' + proc.stdout[-2000:]
    return proc


def load_tool(relative_path: str):
    """The module of a tool script (e.g. ``'tools/analysis/benchmark.py'``), imported by
    path, so that tests can call its functions."""
    import importlib.util
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_values(a, b) -> None:
    """Equal nested values (dicts in the same key order, lists, numpy arrays, scalars)."""
    import numpy as np
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same_values(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_values(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


def write_tiny_simcal_config(path, base, data_root: str, ann_prefix: str = 'lvis_toy'):
    """A SimCal config on ``base`` for the 8-class data of ``make_toy_lvis`` at
    ``data_root`` (annotation files ``{ann_prefix}_{train,val}.json``; ``instances_toy``
    for the COCO-format ones): 4 classes per iteration, 3 iterations, a checkpoint at the
    last."""
    Path(path).write_text(f"""
_base_ = ['{base}']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_sampler=dict(num_classes_per_iter=4),
                        dataset=dict(dataset=dict(data_root=data_root)))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_evaluator = dict(ann_file=data_root + 'annotations/{ann_prefix}_val.json',
                      train_ann_file=data_root + 'annotations/{ann_prefix}_train.json')
train_cfg = dict(max_iters=3)
param_scheduler = [dict(type='MultiStepLR', by_epoch=False, begin=0, end=3, milestones=[2])]
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=3))
custom_hooks = []
""")
    return path
