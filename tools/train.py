"""Train a detector: python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] ..."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.apis import build_train_cfg, run_training  # noqa: E402
from mmdet.apis.cli import (add_training_arguments, end_distributed,  # noqa: E402
                            parse_tool_args)


def parse_args(argv=None) -> dict:
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='config file')
    add_training_arguments(parser)
    return parse_tool_args(parser, argv)


def main(argv=None):
    run_training(build_train_cfg(**parse_args(argv)))


if __name__ == '__main__':
    main()
    end_distributed()
