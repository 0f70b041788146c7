"""SimCal stage 2: calibrate a trained detector's classifier.

    python tools/calibrate.py CONFIG --load-from CKPT [--work-dir DIR] [--resume [CKPT]]
                              [--amp] [--cfg-options k=v ...] [--launcher pytorch]

CONFIG is a configs/simcal/ config; CKPT the stage-1 detector (ours or any checkpoint
with mmdetection 2.x/3.x parameter names). The result (``iter_N.pth`` in the work dir)
holds the whole detector plus the calibration head, for tools/test.py with CONFIG.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402
from mmengine.runner import find_latest_checkpoint  # noqa: E402

from mmdet.engine import Runner  # noqa: E402
from mmdet.utils.checkpoint import (CheckpointError, extract_state_dict,  # noqa: E402
                                    read_checkpoint)
from mmdet.utils.setup_env import (add_training_arguments, apply_run_options,  # noqa: E402
                                    load_config, parse_tool_args,
                                    register_all_modules, setup_cfg_for_device)

DETECTOR_PREFIXES = ('backbone.', 'rpn_head.', 'roi_head.bbox_head.')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='SimCal stage 2: calibrate a detector')
    parser.add_argument('config', help='SimCal config file (configs/simcal/)')
    parser.add_argument('--load-from', help='the trained (stage-1) detector checkpoint')
    add_training_arguments(parser)
    args = parse_tool_args(parser, argv)
    if args.load_from is None and args.resume is None:
        parser.error('give the detector to calibrate with --load-from CKPT (or --resume)')
    return args


def world_size(launcher: str) -> int:
    """Number of processes the launcher starts (before the process group exists)."""
    if launcher == 'none':
        return 1
    for key in ('WORLD_SIZE', 'SLURM_NTASKS', 'OMPI_COMM_WORLD_SIZE'):
        if key in os.environ:
            return int(os.environ[key])
    return 1


def set_batch_size(cfg: Config, num_procs: int) -> None:
    """Split the global batch (classes per iteration x images per class) over processes."""
    sampler = cfg.train_dataloader.sampler
    classes = sampler.get('num_classes_per_iter', 16)
    if classes % num_procs:
        raise ValueError(f'num_classes_per_iter={classes} does not split evenly over '
                         f'{num_procs} processes')
    cfg.train_dataloader.batch_size = classes // num_procs * sampler.get('images_per_class', 1)


def check_checkpoint(cfg: Config, path: str) -> None:
    """The checkpoint must hold a detector for the config's number of classes."""
    state = extract_state_dict(read_checkpoint(path))
    missing = [p for p in DETECTOR_PREFIXES if not any(k.startswith(p) for k in state)]
    if missing:
        raise CheckpointError(f'{path} holds no {", ".join(p[:-1] for p in missing)} weights '
                              '(mmdetection names expected): is it a two-stage detector?')
    weight = state.get('roi_head.bbox_head.fc_cls.weight')
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    if weight is not None and weight.shape[0] != num_classes + 1:
        raise CheckpointError(
            f'{path} classifies {weight.shape[0] - 1} classes (+ background), the config '
            f'{num_classes} (model.roi_head.bbox_head.num_classes): calibrate a detector '
            'trained on this dataset')


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    if cfg.model.get('type') != 'SimCalDetector':
        raise ValueError(f'{args.config} is not a SimCal config (model.type is '
                         f'{cfg.model.get("type")!r}, expected SimCalDetector)')
    apply_run_options(cfg, args.amp, args.seed, args.deterministic)
    cfg.resume, cfg.load_from = False, args.load_from
    if args.resume == 'auto':  # the work dir's latest checkpoint, else start afresh
        if find_latest_checkpoint(cfg.work_dir) is not None:
            cfg.resume, cfg.load_from = True, None
        elif args.load_from is None:
            raise FileNotFoundError(f'no checkpoint to resume from in {cfg.work_dir}: give '
                                    'the detector to calibrate with --load-from CKPT')
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if not cfg.resume:
        check_checkpoint(cfg, cfg.load_from)
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == 'SimCalHook' for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='SimCalHook')]
    set_batch_size(cfg, world_size(args.launcher))
    setup_cfg_for_device(cfg)
    return cfg


def main(argv=None) -> str:
    """Calibrate; returns the path of the final checkpoint."""
    args = parse_args(argv)
    register_all_modules()
    runner = Runner.from_cfg(build_cfg(args))
    runner.train()
    return osp.join(runner.work_dir, f'iter_{runner.iter}.pth')


if __name__ == '__main__':
    main()
