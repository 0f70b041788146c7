"""Train a detector: python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] ..."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402

from mmdet.engine import Runner  # noqa: E402
from mmdet.utils.setup_env import (add_training_arguments, apply_run_options,  # noqa: E402
                                    load_config, parse_tool_args,
                                    register_all_modules, setup_cfg_for_device)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='config file')
    add_training_arguments(parser)
    return parse_tool_args(parser, argv)


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    apply_run_options(cfg, args.amp, args.seed, args.deterministic)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    setup_cfg_for_device(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    runner = Runner.from_cfg(build_cfg(args))
    runner.train()


if __name__ == '__main__':
    main()
