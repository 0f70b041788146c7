"""Stage 1: train a detector (``tools/train.py``)."""
from typing import Optional

from mmengine.config import Config

from .config import (apply_resume, apply_run_options, load_config, place_metric_outputs,
                     setup_cfg_for_device)


def build_train_cfg(config: str, work_dir: Optional[str] = None,
                    cfg_options: Optional[dict] = None, launcher: str = 'none',
                    resume: Optional[str] = None, amp: bool = False,
                    seed: Optional[int] = None, deterministic: bool = False) -> Config:
    """The config of a training run (arguments as ``tools/train.py`` takes them)."""
    cfg = load_config(config, launcher, cfg_options, work_dir)
    apply_run_options(cfg, amp, seed, deterministic)
    apply_resume(cfg, resume)
    place_metric_outputs(cfg)
    setup_cfg_for_device(cfg)
    return cfg


def run_training(cfg: Config):
    """Train; returns the runner (its ``message_hub`` holds the last metrics)."""
    from mmdet.engine import Runner
    from mmdet.utils import register_all_modules
    register_all_modules()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner
