"""Command-line setup shared by the tools."""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config


def register_all_modules() -> None:
    """Import every module that registers components."""
    import mmdet.calibration  # noqa: F401  (SimCal stages 2 and 3)
    import mmdet.datasets  # noqa: F401
    import mmdet.engine  # noqa: F401
    import mmdet.evaluation  # noqa: F401
    import mmdet.models  # noqa: F401


def add_launch_arguments(parser) -> None:
    """Options every tool takes: --work-dir, --cfg-options, --launcher, --local-rank."""
    from mmengine.config import DictAction
    parser.add_argument('--work-dir', help='folder for logs, checkpoints and metrics')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config keys, e.g. train_cfg.max_epochs=2')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def add_training_arguments(parser) -> None:
    """Options of the training tools (train, calibrate), plus the launch options."""
    add_launch_arguments(parser)
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from CKPT, or from the latest checkpoint of the work '
                             'dir when no CKPT is given')
    parser.add_argument('--amp', action='store_true', help='mixed precision (CUDA)')
    parser.add_argument('--seed', type=int, default=None, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (reproducible on the CPU)')


def parse_tool_args(parser, argv=None):
    """Parse, and export the local rank for launchers that pass it as an argument."""
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(config: str, launcher: str = 'none', cfg_options: Optional[dict] = None,
                work_dir: Optional[str] = None) -> Config:
    """A tool's config: the file, then ``--cfg-options``, the launcher and the work dir
    (``--work-dir``, else the config's, else ``work_dirs/<config name>``)."""
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
    """``--amp`` (CUDA only; ignored with a warning elsewhere), ``--seed`` and
    ``--deterministic`` of the training tools."""
    if amp:
        if torch.cuda.is_available():
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        else:
            from mmengine.logging import print_log
            print_log('--amp ignored: mixed precision training needs a CUDA device',
                      logger='current', level=30)
    if seed is not None or deterministic:
        cfg.randomness = dict(seed=seed if seed is not None else 0, deterministic=deterministic)


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
