"""Confusion matrix of test results, with its long-tail view: how often rare and common
objects are detected as frequent classes, for one run or several side by side (e.g.
--mode orig and --mode dual of a calibrated model).

    python tools/test.py CONFIG CKPT --mode orig --out orig.pkl
    python tools/test.py CONFIG CKPT --mode dual --out dual.pkl
    python tools/analysis/confusion_matrix.py VAL_ANN.json orig.pkl dual.pkl \\
        --names orig dual [--train-ann TRAIN.json] [--score-thr 0.3] [--iou-thr 0.5] \\
        [--out-dir confusion]

Writes confusion_matrix.{name}.csv (rows: ground-truth class, the last one false
positives; columns: detected class, the last one missed), confusion_long_tail.csv and
confusion_long_tail.png (the matrix summed by frequency group, as shares of each row).
Groups: the annotation file's LVIS ``frequency``, or with --train-ann the training
instance count (< 10 rare, < 100 common).
"""
import argparse
import csv
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402

from lvis_api import LVIS, load_train_counts  # noqa: E402
from mmdet.analysis.confusion import (GROUPS, confusion_matrix, ground_truth,  # noqa: E402
                                      group_matrix, groups_of, long_tail_table)
from mmdet.evaluation.metrics.dump_det_results import read_det_results  # noqa: E402
from mmdet.utils.io import atomic_write  # noqa: E402


def _write_csv(path, header, rows):
    def write(f):
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    atomic_write(path, write, mode='w')


def _plot(by_run, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    labels = ['rare', 'common', 'frequent', 'bg/missed']
    fig, axes = plt.subplots(1, len(by_run), figsize=(4.2 * len(by_run), 3.8), squeeze=False)
    for ax, (run, m) in zip(axes[0], by_run.items()):
        share = m / np.maximum(m.sum(1, keepdims=True), 1)
        ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
        for i in range(share.shape[0]):
            for j in range(share.shape[1]):
                ax.text(j, i, f'{100 * share[i, j]:.0f}', ha='center', va='center', fontsize=8)
        ax.set_xticks(range(4), labels, fontsize=7)
        ax.set_yticks(range(4), labels[:3] + ['false pos.'], fontsize=7)
        ax.set_xlabel('detected as')
        ax.set_ylabel('ground truth')
        ax.set_title(run)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_file', help='annotation file of the tested split')
    parser.add_argument('results', nargs='+', help='tools/test.py --out pickles')
    parser.add_argument('--names', nargs='+', help='a name per results file')
    parser.add_argument('--train-ann', help='group classes by training instance count')
    parser.add_argument('--score-thr', type=float, default=0.3)
    parser.add_argument('--iou-thr', type=float, default=0.5)
    parser.add_argument('--out-dir', default='confusion')
    args = parser.parse_args(argv)
    names = args.names or [osp.splitext(osp.basename(r))[0] for r in args.results]
    if len(names) != len(args.results):
        parser.error('--names needs one name per results file')
    gt = LVIS(args.ann_file)
    boxes, cat_ids = ground_truth(gt)
    counts = load_train_counts(args.train_ann) if args.train_ann else None
    groups = groups_of(gt, cat_ids, counts)
    out = {}
    class_names = [gt.cats[c].get('name', str(c)) for c in cat_ids]
    for name, path in zip(names, args.results):
        matrix = confusion_matrix(read_det_results(path), boxes, len(cat_ids), args.score_thr,
                                  args.iou_thr)
        out[name] = dict(matrix=matrix, groups=group_matrix(matrix, groups))
        header = ['ground truth \\\\ detected'] + class_names + ['missed']
        rows = [[n] + matrix[i].tolist() for i, n in enumerate(class_names + ['false positive'])]
        _write_csv(osp.join(args.out_dir, f'confusion_matrix.{name}.csv'), header, rows)
    by_run = {name: r['groups'] for name, r in out.items()}
    _write_csv(osp.join(args.out_dir, 'confusion_long_tail.csv'),
               ['run', 'ground truth', 'as_r', 'as_c', 'as_f', 'missed'],
               [[run, g] + m[i].tolist() for run, m in by_run.items()
                for i, g in enumerate(list(GROUPS) + ['false positive'])])
    _plot(by_run, osp.join(args.out_dir, 'confusion_long_tail.png'))
    print(long_tail_table(by_run))
    print(f'written to {args.out_dir}: confusion_matrix.<name>.csv, confusion_long_tail.csv/png')
    return out


if __name__ == '__main__':
    main()
