"""Stage 1: train a detector (``tools/train.py``)."""
from typing import Optional

from mmengine.config import Config

from .config import (apply_resume, apply_run_options, check_sections, load_config,
                     place_metric_outputs, setup_cfg_for_device)

TRAIN_SECTIONS = ('model', 'train_dataloader', 'train_cfg', 'optim_wrapper')


def build_train_cfg(config: str, work_dir: Optional[str] = None,
                    cfg_options: Optional[dict] = None, launcher: str = 'none',
                    resume: Optional[str] = None, amp: bool = False,
                    seed: Optional[int] = None, deterministic: bool = False) -> Config:
    """The config of a training run (arguments as ``tools/train.py`` takes them)."""
    cfg = load_config(config, launcher, cfg_options, work_dir)
    check_sections(cfg, config, TRAIN_SECTIONS, 'train')
    apply_run_options(cfg, amp, seed, deterministic)
    apply_resume(cfg, resume)
    place_metric_outputs(cfg)
    setup_cfg_for_device(cfg)
    return cfg


def train_runner(cfg: Config):
    """The runner of ``cfg`` (every component registered first)."""
    from mmdet.engine import Runner
    from mmdet.utils import register_all_modules
    register_all_modules()
    return Runner.from_cfg(cfg)


def run_training(cfg: Config):
    """Train; returns the runner (its ``message_hub`` holds the last metrics)."""
    runner = train_runner(cfg)
    runner.train()
    return runner


def last_checkpoint(runner) -> str:
    """The path of the run's last checkpoint (as the checkpoint hook recorded it), once
    rank 0 has written it."""
    from mmengine.dist import barrier
    from mmengine.hooks import CheckpointHook

    from mmdet.utils import latest_checkpoint
    barrier()  # checkpoints are saved by rank 0
    hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
    folder = getattr(hook, 'out_dir', None) or runner.work_dir
    path = latest_checkpoint(folder)
    if path is None:
        raise FileNotFoundError(f'the run saved no checkpoint in {folder}')
    return path
