"""Argument definitions the command-line tools share (tools/*.py parse them and call the
functions of :mod:`mmdet.apis` with them)."""
import os


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


def parse_tool_args(parser, argv=None) -> dict:
    """The parsed options as keyword arguments for the API; the local rank, which some
    launchers pass as an argument, is exported as LOCAL_RANK instead."""
    args = vars(parser.parse_args(argv))
    os.environ.setdefault('LOCAL_RANK', str(args.pop('local_rank')))
    return args


def end_distributed() -> None:
    """End a distributed tool run: all ranks leave the process group together, then the
    process exits at once with its output and logs flushed. (With torch 2.14's gloo on
    the CPU, a rank's interpreter teardown sometimes aborts with "terminate called
    without an active exception" after all its work is done, which turned finished runs
    into failed jobs; nothing is left to do at that point.)"""
    import logging
    import sys

    import torch.distributed as dist
    if not (dist.is_available() and dist.is_initialized()):
        return
    dist.barrier()
    dist.destroy_process_group()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
