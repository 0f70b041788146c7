"""Re-create COCO-LT (SimCal's long-tailed COCO train2017 subset) from COCO's annotations.

    python tools/misc/make_coco_lt.py data/coco/annotations/instances_train2017.json \\
        data/coco/annotations/coco_lt_train2017.json [--seed 0] [--targets T.json]

Writes the subset (COCO format) and its statistics (``--stats-out``, default
``<out>.statistics.json``): per class the source, target and kept instances and images,
per bin of training instances [1,20), [20,400), [400,8000), [8000,inf) the number of
classes beside the original's 4 / 24 / 32 / 20, and the totals beside the original's
99,411 images / 666,493 instances. The original file was never published: this is a
seeded re-creation with the original's per-class instance counts (see
mmdet/datasets/coco_lt.py), not the original file. No images are needed.
"""
import argparse
import json
import sys
import time
from pathlib import Path

try:
    import mmdet  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from lvis_api._json import load_json  # noqa: E402
from mmdet.datasets.coco_lt import bin_mismatches, sample_coco_lt  # noqa: E402
from mmdet.utils.io import atomic_write  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('source', help="COCO's instances_train2017.json (any COCO-format file "
                                  'with the 80 COCO classes, or others with --targets)')
    p.add_argument('out', help='the COCO-LT annotation file to write')
    p.add_argument('--seed', type=int, default=0, help='which images are drawn')
    p.add_argument('--targets', default=None,
                   help='JSON {category name or id: instances} (default: the original '
                        "COCO-LT's per-class counts)")
    p.add_argument('--stats-out', default=None,
                   help='statistics file (default: <out without .json>.statistics.json)')
    return p.parse_args(argv)


def _read_targets(path, categories):
    by_name = {c.get('name'): c['id'] for c in categories}
    ids = {c['id'] for c in categories}
    targets = {}
    for key, count in load_json(path).items():
        cat_id = by_name.get(key, int(key) if str(key).isdigit() else None)
        if cat_id not in ids:
            raise ValueError(f'{path}: {key!r} is neither a category name nor an id of the '
                             'source')
        targets[cat_id] = int(count)
    return targets


def summary(stats) -> str:
    lines = [stats['note'], '', f'{"bin":<5} {"range":<12} {"classes":>8} {"original":>9} '
             f'{"instances":>10}']
    for b in stats['bins']:
        original = '' if b['original_classes'] is None else b['original_classes']
        lines.append(f'{b["bin"]:<5} {b["range"]:<12} {b["classes"]:>8} {original:>9} '
                     f'{b["instances"]:>10}')
    t = stats['totals']
    lines.append(f'images {t["images"]:,} (original {t["original_images"]:,}; source '
                 f'{t["source_images"]:,}), instances {t["instances"]:,} (original '
                 f'{t["original_instances"]:,}; source {t["source_instances"]:,})')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    dataset = load_json(args.source)
    if not isinstance(dataset, dict) or not all(
            isinstance(dataset.get(k), list) for k in ('images', 'annotations', 'categories')):
        print(f'error: {args.source}: not a COCO-format annotation file (images, '
              'annotations and categories lists)', file=sys.stderr)
        return 2
    try:
        targets = (_read_targets(args.targets, dataset['categories'])
                   if args.targets else None)
        subset, stats = sample_coco_lt(dataset, seed=args.seed, targets=targets,
                                       source=Path(args.source).name)
    except (ValueError, KeyError) as err:
        print(f'error: {args.source}: {err}', file=sys.stderr)
        return 2
    mismatches = bin_mismatches(stats)
    if mismatches:
        print('error: classes outside their target bin, nothing written:\n  '
              + '\n  '.join(mismatches), file=sys.stderr)
        return 1
    out = Path(args.out)
    stats_out = Path(args.stats_out) if args.stats_out else out.with_suffix('.statistics.json')
    atomic_write(out, lambda f: json.dump(subset, f, separators=(',', ':')), mode='w')
    atomic_write(stats_out, lambda f: json.dump(stats, f, indent=1), mode='w')
    print(summary(stats))
    print(f'written {out} and {stats_out} in {time.perf_counter() - start:.1f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
