"""Run configs as the tools and APIs build them: the file and its overrides, the work
dir, run options, device setup, and where metrics put their files."""
import ast
import difflib
import os
import os.path as osp
from typing import Iterable, List, Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log

RESULT_SHARDS_DIR = 'result_shards'  # per-rank test results, in the work dir


def check_config_syntax(path: str) -> None:
    """Parse a config file and its ``_base_`` files; a syntax error names the file and
    line (mmengine reports it as ``<unknown>``)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    with open(path, encoding='utf-8') as f:
        source = f.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as err:
        raise SyntaxError(f'{path}, line {err.lineno}: {err.msg}',
                          (path, err.lineno, err.offset, err.text)) from None
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and getattr(node.targets[0], 'id', None) == '_base_'):
            try:
                bases = ast.literal_eval(node.value)
            except ValueError:
                continue
            for base in [bases] if isinstance(bases, str) else list(bases):
                if isinstance(base, str) and '::' not in base:
                    check_config_syntax(osp.normpath(osp.join(osp.dirname(path), base)))


def check_option_keys(cfg: Config, options: dict) -> dict:
    """``--cfg-options`` may only set keys the config has (a typo would be ignored
    silently); ``+key=value`` adds a new key. Returns the options without the ``+``."""
    checked, tree = {}, cfg.to_dict()
    for key, value in options.items():
        if key.startswith('+'):
            checked[key[1:]] = value
            continue
        node, path = tree, []
        for part in key.split('.'):
            if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                siblings = list(node) if isinstance(node, dict) else []
                close = difflib.get_close_matches(part, siblings, n=1, cutoff=0.6)
                where = '.'.join(path) or 'the top level'
                hint = f"; did you mean {'.'.join(path + close)!r}?" if close else ''
                raise KeyError(f'--cfg-options {key}: the config has no {part!r} in {where}'
                               f'{hint} (to add a new key, write +{key}=...)')
            path.append(part)
        checked[key] = value
    return checked


def check_sections(cfg: Config, config: str, sections: Iterable[str], task: str) -> None:
    """The config defines what ``task`` needs (e.g. a model-only config cannot train)."""
    missing = [key for key in sections if cfg.get(key) is None]
    if missing:
        raise ValueError(f'{config} cannot {task}: it defines no {", ".join(missing)} '
                         '(is it a model-only config? Use or inherit a full one, e.g. '
                         'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py)')


def load_config(config: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """A run's config: the file, then ``cfg_options`` (existing keys only, ``+key`` for
    new ones), the launcher and the work dir (``work_dir``, else the config's, else
    ``work_dirs/<config name>``)."""
    check_config_syntax(config)
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options:
        cfg.merge_from_dict(check_option_keys(cfg, cfg_options))
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
    """``resume``: None (start from ``load_from``), 'auto' (the latest checkpoint in the
    work dir, if it has one; else start as without it) or a checkpoint path."""
    from mmdet.utils import latest_checkpoint
    if resume == 'auto':
        path = latest_checkpoint(cfg.work_dir)
        if path is not None:
            cfg.resume, cfg.load_from = True, path
        else:
            cfg.resume = False
            print_log(f'--resume: no checkpoint in {cfg.work_dir} yet, starting the run',
                      logger='current')
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


def is_detection_metric(evaluator: dict) -> bool:
    """Whether an evaluator config is an :class:`LVISMetric` (or a subclass such as
    ``CocoMetric``): the metrics that ``--eval``, ``--mode all`` and the result-file
    options configure."""
    from mmdet.evaluation import LVISMetric
    from mmdet.registry import METRICS
    metric = METRICS.get(evaluator.get('type'))
    return metric is not None and issubclass(metric, LVISMetric)


def place_metric_outputs(cfg: Config) -> None:
    """Files of the metrics go under the work dir unless their config says otherwise:
    per-rank result shards and the results of a failed evaluation (every
    :class:`ShardedMetric`), and per-category tables (:class:`LVISMetric`)."""
    from mmdet.evaluation import LVISMetric, ShardedMetric
    from mmdet.registry import METRICS
    for key in ('val_evaluator', 'test_evaluator'):
        for evaluator in evaluator_list(cfg, key):
            metric = METRICS.get(evaluator.get('type'))
            if metric is None:
                continue  # the runner reports the unknown type
            if issubclass(metric, ShardedMetric):
                evaluator.setdefault('shard_dir', osp.join(cfg.work_dir, RESULT_SHARDS_DIR))
                evaluator.setdefault('rescue_dir', cfg.work_dir)
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
