"""Give a calibrated checkpoint the training instance counts its 'dual' mode applies T to.

    python tools/misc/add_train_counts.py CALIBRATED.pth TRAIN_ANN.json OUT.pth

Checkpoints calibrated before 2026-12-02 hold the calibration head without
``roi_head.calib_head.train_instance_counts``; this writes the counts of the training
annotation file (``lvis_api.lvis.instance_counts``, per label in category-id order, as the
datasets number them) into a copy of the checkpoint.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from mmdet.calibration.heads import COUNTS_KEY as KEY  # noqa: E402
from mmdet.calibration.heads import put_train_counts  # noqa: E402
from mmdet.utils import atomic_write, read_checkpoint  # noqa: E402


def add_train_counts(checkpoint: str, train_ann_file: str, out: str) -> list:
    """Writes ``out``; returns the counts per label."""
    ckpt = read_checkpoint(checkpoint)
    counts = put_train_counts(ckpt.get('state_dict', ckpt), train_ann_file, checkpoint)
    atomic_write(out, lambda f: torch.save(ckpt, f))
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='calibrated checkpoint')
    parser.add_argument('train_ann_file', help='the training annotation file it was '
                                               'calibrated on')
    parser.add_argument('out', help='where to write the checkpoint with the counts')
    args = parser.parse_args(argv)
    counts = add_train_counts(args.checkpoint, args.train_ann_file, args.out)
    print(f'{args.out}: {KEY} of {len(counts)} classes written')


if __name__ == '__main__':
    main()
