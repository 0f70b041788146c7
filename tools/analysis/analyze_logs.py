"""Plot training curves and training time from mmengine's scalars.json logs.

    python tools/analysis/analyze_logs.py plot_curve WORK_DIR_OR_SCALARS [...] \\
        --keys loss lr lvis/segm_AP [--legend run1 run2] [--out curves.png]
    python tools/analysis/analyze_logs.py cal_train_time WORK_DIR_OR_SCALARS

A work dir stands for its newest <timestamp>/vis_data/scalars.json. Several logs are
overlaid in each panel (one panel per key); losses and lr are plotted against the
iteration, metrics (keys with '/') against the epoch.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.analysis.logs import (curves, load_scalars, plot_curves,  # noqa: E402
                                 train_time)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='losses, lr and metrics against time')
    plot.add_argument('logs', nargs='+', help='scalars.json files or work dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'])
    plot.add_argument('--legend', nargs='+', default=[])
    plot.add_argument('--out', default='curves.png')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('logs', nargs='+')
    args = parser.parse_args(argv)
    if args.task == 'plot_curve':
        data = curves(args.logs, args.keys)
        print(f'written {plot_curves(data, args.out, args.legend)}')
        return data
    out = {}
    for log in args.logs:
        out[log] = train_time(load_scalars(log))
        t = out[log]
        print(f'{log}: {t["mean_s"]:.3f} s per iteration; slowest epoch {t["slowest_epoch"]}, '
              f'fastest epoch {t["fastest_epoch"]}')
    return out


if __name__ == '__main__':
    main()
