"""Helpers of the fault-injection tests."""
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]


def build_model(config, cfg_options=None):
    from mmengine.config import Config

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def save_model_checkpoint(config, path, cfg_options=None, drop=()):
    """A checkpoint of the config's model (random weights), without the keys starting
    with any prefix of ``drop``."""
    state = build_model(config, cfg_options).state_dict()
    state = {k: v for k, v in state.items() if not k.startswith(tuple(drop))}
    torch.save(dict(state_dict=state, meta=dict()), path)
    return path


def run_test(config, checkpoint, work_dir, **kwargs):
    """tools/test.py in this process (mmdet.apis); returns the metrics."""
    from mmdet.apis import build_test_cfg, run_test as api_run_test
    return api_run_test(build_test_cfg(str(config), str(checkpoint), work_dir=str(work_dir),
                                       **kwargs))


def run_train(config, work_dir, **kwargs):
    """tools/train.py in this process (mmdet.apis); returns the runner."""
    from mmdet.apis import build_train_cfg, run_training
    return run_training(build_train_cfg(str(config), work_dir=str(work_dir), **kwargs))
