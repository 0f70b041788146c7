"""Evaluate an LVIS (or, with ``--coco``, a COCO-format) result file and print the
metrics table.

    python -m lvis_api.eval GT.json RESULTS.json --iou-type segm \\
        [--train-ann TRAIN.json] [--ap-fixed] [--bin-edges 0 10 100 1000] [--out M.json]
    python -m lvis_api.eval instances_val2017.json RESULTS.json --coco \\
        --train-ann coco_lt_train.json --bin-edges 1 20 400 8000
"""
import argparse
import json
import sys
import time
from pathlib import Path
from typing import List, Optional

from ..errors import LVISFormatError
from .bins import DEFAULT_BIN_EDGES
from .coco_eval import COCOEval
from .evaluator import LVISEval


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog='python -m lvis_api.eval',
                                     description='LVIS evaluation (exact to the official '
                                                 'lvis package, fast).')
    parser.add_argument('gt', type=Path, help='LVIS annotation file (v0.5 or v1)')
    parser.add_argument('results', type=Path, help='result file: a JSON list of detections')
    parser.add_argument('--iou-type', choices=('bbox', 'segm'), default='segm')
    parser.add_argument('--train-ann', type=Path, default=None,
                        help='training annotation file (or {category_id: count} JSON): '
                             'adds AP1.. and bAP by training instance count')
    parser.add_argument('--bin-edges', type=float, nargs='+', default=list(DEFAULT_BIN_EDGES),
                        help='lower edges of the instance-count bins')
    parser.add_argument('--coco', action='store_true',
                        help='COCO-format ground truth, evaluated as pycocotools does '
                             '(no federated fields; crowds; 1/10/100 per image and class)')
    parser.add_argument('--ap-fixed', action='store_true',
                        help='AP-fixed: up to 10,000 detections per category, no per-image cap')
    parser.add_argument('--out', type=Path, default=None,
                        help='write the metrics and per-category AP to this JSON file')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    if args.coco and args.ap_fixed:
        print('error: --ap-fixed is an LVIS protocol; it does not combine with --coco',
              file=sys.stderr)
        return 2
    start = time.perf_counter()
    counts = dict(train_counts=str(args.train_ann) if args.train_ann else None,
                  bin_edges=args.bin_edges)
    try:
        if args.coco:
            evaluator = COCOEval(str(args.gt), str(args.results), args.iou_type, **counts)
        else:
            evaluator = LVISEval(str(args.gt), str(args.results), args.iou_type,
                                 ap_fixed=args.ap_fixed, **counts)
        evaluator.run()
    except (LVISFormatError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    title = f' {args.iou_type} {"AP-fixed " if args.ap_fixed else ""}'
    print(evaluator.summary_table(title))
    print(f'evaluated in {time.perf_counter() - start:.1f} s')
    if args.out:
        per_cat = {str(k): v for k, v in evaluator.per_category_ap().items()}
        args.out.write_text(json.dumps({'results': dict(evaluator.results),
                                        'per_category_ap': per_cat}, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
