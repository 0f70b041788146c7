"""Per-class AP against training instance count (log scale), one series per table.

    python tools/analysis/plot_ap_vs_frequency.py WORK_DIR/per_class_ap.orig.segm.csv \
        WORK_DIR/per_class_ap.dual.segm.csv [--threshold 100] [--out ap_vs_frequency.png]

The tables are those ``tools/test.py --classwise`` writes to its work dir (with
``--mode all``: one per mode); the series are named after them.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mmdet.visualization.ap_vs_frequency import plot_ap_vs_frequency, series_name  # noqa


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('tables', nargs='+', help='per-class AP tables (CSV)')
    parser.add_argument('--iou-type', default='segm', choices=['segm', 'bbox'],
                        help='the AP type, for the axis label')
    parser.add_argument('--threshold', type=float, default=None, help='mark T')
    parser.add_argument('--out', default='ap_vs_frequency.png')
    args = parser.parse_args(argv)
    tables = {series_name(path): path for path in args.tables}
    out = plot_ap_vs_frequency(tables, args.out, args.iou_type, args.threshold)
    print(f'plot written to {out}')


if __name__ == '__main__':
    main()
