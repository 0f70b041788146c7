"""Generate the toy long-tail LVIS-format dataset (see mmdet/testing/toy_lvis).

    python tools/misc/make_toy_lvis.py data/toy_lvis
    python tools/misc/make_toy_lvis.py data/toy_lvis_val5k --num-train-images 200 \
        --num-val-images 5000 --image-size 64 64
    python tools/misc/make_toy_lvis.py data/toy_lvis --coco   # also COCO-format files
"""
import argparse
import sys
import time
from pathlib import Path

try:
    import mmdet  # noqa: F401
except ImportError:  # run from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mmdet.testing.toy_lvis import (make_toy_lvis, summarize_split,  # noqa: E402
                                    write_coco_annotations)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('out_dir', help='output folder (annotations/, train2017/, val2017/)')
    p.add_argument('--num-classes', type=int, default=50)
    p.add_argument('--num-train-images', type=int, default=1500)
    p.add_argument('--num-val-images', type=int, default=250)
    p.add_argument('--image-size', type=int, nargs=2, default=(160, 160),
                   metavar=('H', 'W'))
    p.add_argument('--val-image-size', type=int, nargs=2, default=None,
                   metavar=('H', 'W'), help='default: --image-size')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--lvis-stats-file', default=None,
                   help='LVIS v0.5 train category statistics (default: the copy in '
                        'mmdet/testing/data); "builtin": a built-in table of them')
    p.add_argument('--coco', action='store_true',
                   help='also write COCO-format files annotations/instances_toy_{train,val}'
                        '.json (no LVIS fields, some objects as crowd regions)')
    p.add_argument('--crowd-fraction', type=float, default=0.05,
                   help='with --coco: share of the objects written as crowd regions')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    stats = {None: None, 'builtin': False}.get(args.lvis_stats_file, args.lvis_stats_file)
    start = time.perf_counter()
    paths = make_toy_lvis(
        args.out_dir, num_classes=args.num_classes,
        num_train_images=args.num_train_images, num_val_images=args.num_val_images,
        image_size=tuple(args.image_size),
        val_image_size=args.val_image_size and tuple(args.val_image_size),
        seed=args.seed, lvis_stats_file=stats)
    if args.coco:
        paths = write_coco_annotations(paths, args.crowd_fraction, seed=args.seed)
    elapsed = time.perf_counter() - start
    for split in ('train', 'val'):
        s = summarize_split(paths[f'{split}_ann_file'])
        print(f'{split}: {s["images"]} images, {s["annotations"]} annotations '
              f'-> {paths[f"{split}_ann_file"]}')
        if split == 'train':
            f = s['frequency']
            print(f'  classes by frequency (train image count): rare {f["r"]}, '
                  f'common {f["c"]}, frequent {f["f"]}')
        print('  SimCal bins (train instance count): ' + ', '.join(
            f'{b["bin"]} {b["classes"]} classes / {b["instances"]} inst'
            for b in s['bins']))
    if args.coco:
        print(f'COCO format: {paths["coco_train_ann_file"]}, {paths["coco_val_ann_file"]}')
    print(f'generated in {elapsed:.1f} s')


if __name__ == '__main__':
    main()
