"""Test a detector: python tools/test.py CONFIG CKPT [--eval bbox segm] [--out results.pkl]"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.apis import build_test_cfg, run_test  # noqa: E402
from mmdet.apis.cli import (add_launch_arguments, end_distributed,  # noqa: E402
                            parse_tool_args)


def parse_args(argv=None) -> dict:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--eval', nargs='+', choices=['bbox', 'segm'],
                        help='metrics to evaluate (default: those of the config)')
    parser.add_argument('--out', help='write the raw predictions to this .pkl file')
    parser.add_argument('--mode', nargs='+', metavar='MODE',
                        help="how the RoIs are scored, several side by side from one pass: "
                             "orig (the box head's own scores), norcal / norcal@GAMMA "
                             '(NorCal), tau / tau@TAU (tau-normalised classifier), and for '
                             'SimCal configs cal, dual and all (orig cal dual); default: '
                             "the config's model.roi_head.inference_mode")
    parser.add_argument('--classwise', action='store_true',
                        help='also write per-class AP tables to the work dir (for '
                             'tools/analysis/plot_ap_vs_frequency.py)')
    parser.add_argument('--format-only', action='store_true',
                        help='only write LVIS-format result json files (no evaluation)')
    parser.add_argument('--outfile-prefix', help='prefix of the LVIS-format result files')
    parser.add_argument('--show-dir',
                        help='save each image with its ground truth and predictions (every '
                             'mode when several are scored) drawn side by side into this '
                             'folder')
    parser.add_argument('--show-score-thr', type=float, default=0.3,
                        help='with --show-dir: draw predictions scoring at least this')
    parser.add_argument('--no-fold-bn', dest='fold_bn', action='store_false',
                        help="keep the backbone's BatchNorms instead of folding them into "
                             'the convs (folding is exact up to float rounding)')
    parser.add_argument('--no-channels-last', dest='channels_last', action='store_false',
                        help='run the convolutions in NCHW instead of channels-last')
    add_launch_arguments(parser)
    return parse_tool_args(parser, argv)


def main(argv=None):
    return run_test(build_test_cfg(**parse_args(argv)))


if __name__ == '__main__':
    main()
    end_distributed()
