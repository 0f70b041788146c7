"""SimCal stage 2: calibrate a trained detector's classifier.

    python tools/calibrate.py CONFIG --load-from CKPT [--work-dir DIR] [--resume [CKPT]]
                              [--amp] [--cfg-options k=v ...] [--launcher pytorch]

CONFIG is a configs/simcal/ config; CKPT the stage-1 detector (ours or any checkpoint
with mmdetection 2.x/3.x parameter names). The result (``iter_N.pth`` in the work dir)
holds the whole detector plus the calibration head, for tools/test.py with CONFIG.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.apis import build_calibration_cfg, run_calibration  # noqa: E402
from mmdet.apis.cli import (add_training_arguments, end_distributed,  # noqa: E402
                            parse_tool_args)


def parse_args(argv=None) -> dict:
    parser = argparse.ArgumentParser(description='SimCal stage 2: calibrate a detector')
    parser.add_argument('config', help='SimCal config file (configs/simcal/)')
    parser.add_argument('--load-from', help='the trained (stage-1) detector checkpoint')
    add_training_arguments(parser)
    args = parse_tool_args(parser, argv)
    if args['load_from'] is None and args['resume'] is None:
        parser.error('give the detector to calibrate with --load-from CKPT (or --resume)')
    return args


def main(argv=None) -> str:
    """Calibrate; returns the path of the final checkpoint."""
    return run_calibration(build_calibration_cfg(**parse_args(argv)))


if __name__ == '__main__':
    main()
    end_distributed()
