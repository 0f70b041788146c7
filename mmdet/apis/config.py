"""Run configs as the tools and APIs build them: the file and its overrides, the work
dir, run options, device setup, and where metrics put their files."""
import os
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

RESULT_SHARDS_DIR = 'result_shards'  # per-rank test results, in the work dir


def load_config(config: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """A run's config: the file, then ``cfg_options``, the launcher and the work dir
    (``work_dir``, else the config's, else ``work_dirs/<config name>``)."""
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if work_dir:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg


def apply_run_options(cfg: Config, amp: bool = False, seed: Optional[int] = None,
                      deterministic: bool = False) -> None:
    """Mixed precision (CUDA only; ignored with a warning elsewhere), seed and
    deterministic algorithms of a training run."""
    if amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:
            print_log('--amp ignored: mixed precision training needs a CUDA device',
                      logger='current', level=30)
    if seed is not None or deterministic:
        cfg.randomness = dict(seed=seed if seed is not None else 0, deterministic=deterministic)


def apply_resume(cfg: Config, resume: Optional[str]) -> None:
    """``resume``: None (start from ``load_from``), 'auto' (the work dir's latest
    checkpoint) or a checkpoint path."""
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume


def evaluator_list(cfg: Config, key: str) -> List[dict]:
    """``cfg[key]`` (an evaluator config or a list of them) as a list, set back."""
    evaluators = cfg.get(key)
    if evaluators is None:
        return []
    if not isinstance(evaluators, list):
        cfg[key] = [evaluators]
    return cfg[key]  # the stored list (the config keeps its own copy of a new one)


def place_metric_outputs(cfg: Config) -> None:
    """Files of the metrics go under the work dir unless their config says otherwise:
    per-rank result shards (every :class:`ShardedMetric`) and per-category tables
    (:class:`LVISMetric`)."""
    from mmdet.evaluation import LVISMetric, ShardedMetric
    from mmdet.registry import METRICS
    for key in ('val_evaluator', 'test_evaluator'):
        for evaluator in evaluator_list(cfg, key):
            metric = METRICS.get(evaluator.get('type'))
            if metric is None:
                continue  # the runner reports the unknown type
            if issubclass(metric, ShardedMetric):
                evaluator.setdefault('shard_dir', osp.join(cfg.work_dir, RESULT_SHARDS_DIR))
            if issubclass(metric, LVISMetric):
                evaluator.setdefault('classwise_dir', cfg.work_dir)


def setup_cfg_for_device(cfg: Config) -> None:
    """On machines without CUDA: the gloo backend and CPU DDP (no device ids), with the
    process group started here (mmengine's own start-up assumes a GPU per rank)."""
    if torch.cuda.is_available():
        return
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
    if cfg.get('launcher', 'none') == 'pytorch' and not torch.distributed.is_initialized():
        torch.distributed.init_process_group(
            backend='gloo', rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
