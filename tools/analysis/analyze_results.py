"""Per-class AP of each inference mode, sorted by training instance count, and the rare
classes that gained and lost most (text and CSV).

    python tools/test.py CONFIG CKPT --mode all --classwise --work-dir WORK
    python tools/analysis/analyze_results.py WORK [--iou-type segm] [--base orig]
        [--compare dual] [--top 10] [--all-classes] [--out per_class_ap.modes.segm.csv]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.analysis.per_class import (changes, changes_text, find_tables,  # noqa: E402
                                      merge_tables, write_table)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dir', help='the work dir of a tools/test.py --classwise run')
    parser.add_argument('--iou-type', choices=('bbox', 'segm'), default='segm')
    parser.add_argument('--base', default='orig', help='the mode compared from')
    parser.add_argument('--compare', default='dual', help='the mode compared with it')
    parser.add_argument('--top', type=int, default=10)
    parser.add_argument('--all-classes', action='store_true',
                        help='rank every class, not only the rare ones')
    parser.add_argument('--out', help='CSV of all classes and modes (default: in the work '
                                      'dir, per_class_ap.modes.{iou}.csv)')
    args = parser.parse_args(argv)
    tables = find_tables(args.work_dir, args.iou_type)
    rows = merge_tables(tables)
    out = args.out or osp.join(args.work_dir, f'per_class_ap.modes.{args.iou_type}.csv')
    write_table(rows, list(tables), out)
    result = dict(rows=rows, table=out)
    if args.base in tables and args.compare in tables:
        found = changes(rows, args.base, args.compare, not args.all_classes, args.top)
        print(changes_text(found, args.base, args.compare,
                           None if args.all_classes else 'rare'))
        result['changes'] = found
    else:
        print(f'modes {", ".join(tables)}: no {args.base}/{args.compare} comparison')
    print(f'{len(rows)} classes x {len(tables)} modes written to {out}')
    return result


if __name__ == '__main__':
    main()
