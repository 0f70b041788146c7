"""Publish a checkpoint: keep only its weights, append the sha256 prefix to the name.

    python tools/model_converters/publish_model.py work_dirs/x/epoch_12.pth mask_rcnn_x.pth
    -> mask_rcnn_x-<8 hex digits>.pth, the form published checkpoints take (and the
       downloader checks: a URL ending in -<hex>.pth must have that sha256 prefix)
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.utils.publish import publish_checkpoint  # noqa: E402


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description='Strip a checkpoint to its weights and '
                                                 'name it with its sha256 prefix')
    parser.add_argument('in_file', help='checkpoint written by a training run')
    parser.add_argument('out_file', help='output name; the sha256 prefix is appended')
    args = parser.parse_args(argv)
    path = publish_checkpoint(args.in_file, args.out_file)
    print(path)
    return path


if __name__ == '__main__':
    main()
