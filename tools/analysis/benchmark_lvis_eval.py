"""Benchmark LVIS evaluators on a synthetic LVIS-shaped problem.

Builds LVIS-like ground truth (1,230 v0.5 or 1,203 v1 categories with LVIS's r/c/f
counts, Zipf-like class frequencies, ~12 objects per image with polygons,
``neg_category_ids`` and ``not_exhaustive_category_ids``) and 300 detections per image
(jittered ground truth plus random boxes, rounded scores so that ties occur), writes both
as JSON, then times each evaluator in its own subprocess from the two file paths to the
metrics, so that peak RSS is measured per evaluator:

- ``ours``: ``lvis_api.LVISEval``;
- ``official``: ``lvis`` 0.5.3 (with the ``np.float`` shim);
- ``faster``: ``faster_coco_eval.COCOeval_faster(..., lvis_style=True)``.

With ``--protocol coco`` the same files are scored with COCO's rules (every image x
category pair, 100 detections per image and class) by ``ours`` (``lvis_api.COCOEval``)
and ``pycocotools`` (``COCOeval``).

Example::

    python tools/analysis/benchmark_lvis_eval.py --num-images 5000 --iou-type bbox
    python tools/analysis/benchmark_lvis_eval.py --num-images 19809 --version v1 --peers ours
    python tools/analysis/benchmark_lvis_eval.py --num-images 5000 --protocol coco
"""
import argparse
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
PEERS = ('ours', 'official', 'faster', 'pycocotools')
PROTOCOL_PEERS = {'lvis': ('ours', 'official', 'faster'), 'coco': ('ours', 'pycocotools')}
METRIC_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf',
               'AR@300', 'ARs@300', 'ARm@300', 'ARl@300')
COCO_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR@1', 'AR@10', 'AR@100',
             'ARs@100', 'ARm@100', 'ARl@100')
FASTER_KEYS = {'AP_all': 'AP', 'AP_50': 'AP50', 'AP_75': 'AP75', 'AP_small': 'APs',
               'AP_medium': 'APm', 'AP_large': 'APl', 'APr': 'APr', 'APc': 'APc',
               'APf': 'APf', 'AR_all': 'AR@300', 'AR_small': 'ARs@300',
               'AR_medium': 'ARm@300', 'AR_large': 'ARl@300'}
# (number of categories, rare, common, frequent) as in the LVIS releases
VERSIONS = {'v0.5': (1230, 454, 461, 315), 'v1': (1203, 337, 461, 405)}
IMAGE_SIZES = ((480, 640), (640, 480), (427, 640), (640, 427), (375, 500))
DETS_PER_IMAGE = 300


# --------------------------------------------------------------------- synthetic data
def _octagon(x: float, y: float, w: float, h: float) -> List[float]:
    """An octagon inscribed in the box (a polygon with a non-trivial mask)."""
    cx, cy, rx, ry = x + w / 2, y + h / 2, w / 2, h / 2
    angles = np.arange(8) * np.pi / 4 + np.pi / 8
    pts = np.stack([cx + rx * np.cos(angles) / np.cos(np.pi / 8),
                    cy + ry * np.sin(angles) / np.cos(np.pi / 8)], 1)
    pts[:, 0] = np.clip(pts[:, 0], x, x + w)
    pts[:, 1] = np.clip(pts[:, 1], y, y + h)
    return np.round(pts.ravel(), 2).tolist()


def _polygon_area(poly: List[float]) -> float:
    xs, ys = np.asarray(poly[0::2]), np.asarray(poly[1::2])
    return float(0.5 * abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))))


def _random_boxes(rng: np.random.Generator, n: int, height: int, width: int) -> np.ndarray:
    w = np.exp(rng.uniform(np.log(4), np.log(0.7 * width), n))
    h = np.clip(w * np.exp(rng.normal(0, 0.4, n)), 4, 0.9 * height)
    x = rng.uniform(0, 1, n) * (width - w)
    y = rng.uniform(0, 1, n) * (height - h)
    return np.stack([x, y, w, h], 1)


def make_problem(num_images: int, version: str, iou_type: str, seed: int, out_dir: Path):
    """Write ``gt.json`` and ``dt.json`` (bbox results, or RLE masks plus boxes)."""
    import pycocotools.mask as mask_utils
    rng = np.random.default_rng(seed)
    num_cats, n_r, n_c, n_f = VERSIONS[version]
    # Zipf-like class frequencies; frequent categories are the most likely ones.
    cat_ids = rng.permutation(num_cats) + 1
    freq = np.array(['f'] * n_f + ['c'] * n_c + ['r'] * n_r)
    weights = 1.0 / np.arange(1, num_cats + 1) ** 1.1
    weights /= weights.sum()
    train_counts = np.maximum(1, np.round(weights * 1.27e6)).astype(int)
    categories = sorted(({'id': int(c), 'name': f'category_{c}', 'synset': f'cat_{c}.n.01',
                          'frequency': str(f), 'instance_count': int(n),
                          'image_count': int(max(1, n // 3))}
                         for c, f, n in zip(cat_ids, freq, train_counts)),
                        key=lambda cat: cat['id'])

    images, annotations, results = [], [], []
    for img_id in range(1, num_images + 1):
        height, width = IMAGE_SIZES[rng.integers(len(IMAGE_SIZES))]
        num_gt = max(1, rng.poisson(12))
        present = np.unique(rng.choice(cat_ids, 1 + min(rng.poisson(2.5), 8), p=weights))
        gt_cats = rng.choice(present, num_gt)
        others = np.setdiff1d(rng.choice(cat_ids, 10, p=weights), present)
        neg = rng.permutation(others)[:8]
        not_exhaustive = present[rng.random(len(present)) < 0.1]
        images.append({'id': img_id, 'height': int(height), 'width': int(width),
                       'coco_url': f'http://images.example/{img_id:012d}.jpg',
                       'neg_category_ids': neg.tolist(),
                       'not_exhaustive_category_ids': not_exhaustive.tolist()})
        gt_boxes = _random_boxes(rng, num_gt, height, width)
        for box, cat in zip(gt_boxes, gt_cats.tolist()):
            poly = _octagon(*box)
            xs, ys = poly[0::2], poly[1::2]
            annotations.append({'id': len(annotations) + 1, 'image_id': img_id,
                                'category_id': cat, 'segmentation': [poly], 'iscrowd': 0,
                                'area': round(_polygon_area(poly), 2),
                                'bbox': [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]})
        # detections: jittered copies of the ground truth, then random boxes
        copies = np.minimum(1 + rng.poisson(4, num_gt), 12)
        src = np.repeat(np.arange(num_gt), copies)[:DETS_PER_IMAGE]
        jitter = rng.normal(0, 0.12, (len(src), 4)) * gt_boxes[src][:, [2, 3, 2, 3]]
        tp_boxes = gt_boxes[src] + jitter
        tp_cats = np.where(rng.random(len(src)) < 0.85, gt_cats[src],
                           rng.choice(cat_ids, len(src), p=weights))
        n_rand = DETS_PER_IMAGE - len(src)
        rand_boxes = _random_boxes(rng, n_rand, height, width)
        pools = [present, neg if len(neg) else present, rng.choice(cat_ids, n_rand, p=weights)]
        which = rng.choice(3, n_rand, p=[0.35, 0.25, 0.4])
        rand_cats = np.array([rng.choice(pools[k]) for k in which], dtype=np.int64)
        boxes = np.concatenate([tp_boxes, rand_boxes])
        boxes[:, 2:] = np.maximum(boxes[:, 2:], 1.0)
        boxes[:, 0] = np.clip(boxes[:, 0], 0, width - boxes[:, 2])
        boxes[:, 1] = np.clip(boxes[:, 1], 0, height - boxes[:, 3])
        boxes = np.round(boxes, 2)
        cats = np.concatenate([tp_cats, rand_cats]).tolist()
        scores = np.round(np.concatenate([rng.beta(5, 2, len(src)), rng.beta(1, 4, n_rand)]),
                          3).tolist()
        masks = None
        if iou_type == 'segm':
            masks = mask_utils.frPyObjects([_octagon(*b) for b in boxes], height, width)
        for i, (box, cat, score) in enumerate(zip(boxes.tolist(), cats, scores)):
            det = {'image_id': img_id, 'category_id': cat, 'bbox': box, 'score': score}
            if masks is not None:
                det['segmentation'] = {'size': masks[i]['size'],
                                       'counts': masks[i]['counts'].decode()}
            results.append(det)
    gt = {'info': {'description': f'synthetic LVIS {version}'}, 'licenses': [],
          'images': images, 'annotations': annotations, 'categories': categories}
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / 'gt.json', 'w') as f:
        json.dump(gt, f)
    with open(out_dir / 'dt.json', 'w') as f:
        json.dump(results, f)


# ------------------------------------------------------------------------- peers
def run_peer(name: str, gt_path: str, dt_path: str, iou_type: str,
             protocol: str = 'lvis') -> Dict:
    """Evaluate in this process; returns timings, peak RSS and metrics."""
    start = time.perf_counter()
    if name == 'ours' and protocol == 'coco':
        sys.path.insert(0, str(REPO_ROOT))
        from lvis_api import LVIS, COCOEval, LVISResults
        gt = LVIS(gt_path)
        dt = LVISResults(gt, dt_path, max_dets=-1)
        loaded = time.perf_counter()
        evaluator = COCOEval(gt, dt, iou_type)
        evaluator.run()
        metrics = dict(evaluator.results)
    elif name == 'pycocotools':
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        loaded = time.perf_counter()
        evaluator = COCOeval(gt, dt, iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        metrics = dict(zip(COCO_KEYS, map(float, evaluator.stats)))
    elif name == 'ours':
        sys.path.insert(0, str(REPO_ROOT))
        from lvis_api import LVIS, LVISEval, LVISResults
        gt = LVIS(gt_path)
        dt = LVISResults(gt, dt_path)
        loaded = time.perf_counter()
        evaluator = LVISEval(gt, dt, iou_type)
        evaluator.run()
        metrics = dict(evaluator.results)
    elif name == 'official':
        np.float = float  # lvis 0.5.3 uses np.float, removed in numpy 1.24
        from lvis import LVIS, LVISEval, LVISResults
        gt = LVIS(gt_path)
        dt = LVISResults(gt, dt_path)
        loaded = time.perf_counter()
        evaluator = LVISEval(gt, dt, iou_type)
        evaluator.run()
        metrics = {k: float(v) for k, v in evaluator.results.items()}
    elif name == 'faster':
        from faster_coco_eval import COCO, COCOeval_faster
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        loaded = time.perf_counter()
        evaluator = COCOeval_faster(gt, dt, iou_type, lvis_style=True,
                                    print_function=lambda *a: None)
        evaluator.params.maxDets = [DETS_PER_IMAGE]
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
        stats = evaluator.stats_as_dict
        metrics = {ours: stats[theirs] for theirs, ours in FASTER_KEYS.items()}
    else:
        raise ValueError(name)
    end = time.perf_counter()
    return {'load_s': loaded - start, 'eval_s': end - loaded, 'total_s': end - start,
            'peak_rss_gib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20,
            'metrics': metrics}


def launch_peer(name: str, gt_path: Path, dt_path: Path, iou_type: str,
                mem_limit_gib: Optional[float], timeout: Optional[float],
                protocol: str = 'lvis') -> Dict:
    with tempfile.NamedTemporaryFile(suffix='.json', delete=False) as f:
        out = Path(f.name)
    cmd = [sys.executable, __file__, '--run-peer', name, '--gt', str(gt_path),
           '--dt', str(dt_path), '--iou-type', iou_type, '--peer-out', str(out),
           '--protocol', protocol]

    def limit_memory():
        if mem_limit_gib:
            limit = int(mem_limit_gib * 2 ** 30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        proc = subprocess.run(cmd, preexec_fn=limit_memory, timeout=timeout,
                              capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {'error': f'timed out after {timeout:.0f} s'}
    try:
        if proc.returncode != 0:
            tail = (proc.stderr or '').strip().splitlines()[-1:] or [f'exit {proc.returncode}']
            oom = 'MemoryError' in proc.stderr or proc.returncode in (-9, 137)
            return {'error': ('out of memory: ' if oom else '') + tail[0]}
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


# ------------------------------------------------------------------------ report
def report(runs: Dict[str, Dict], args) -> None:
    keys = COCO_KEYS if args.protocol == 'coco' else METRIC_KEYS
    print(f'\n{args.num_images} images, {args.version}, {args.iou_type}, '
          f'{DETS_PER_IMAGE} detections per image, {args.protocol.upper()} rules')
    print(f'{"evaluator":<10} {"load s":>8} {"eval s":>8} {"total s":>8} {"peak GiB":>9} '
          f'{"time x":>8} {"mem x":>7}')
    ours = runs.get('ours', {})
    for name, run in runs.items():
        if 'error' in run:
            print(f'{name:<10} {run["error"]}')
            continue
        time_x = run['total_s'] / ours['total_s'] if 'total_s' in ours else float('nan')
        mem_x = run['peak_rss_gib'] / ours['peak_rss_gib'] if 'total_s' in ours else float('nan')
        print(f'{name:<10} {run["load_s"]:8.1f} {run["eval_s"]:8.1f} {run["total_s"]:8.1f} '
              f'{run["peak_rss_gib"]:9.2f} {time_x:8.1f} {mem_x:7.1f}')
    if 'metrics' in ours:
        print('\nmetrics (ours) and the largest difference to each peer:')
        print('  ' + '  '.join(f'{k}={ours["metrics"][k]:.4f}' for k in keys))
        for name, run in runs.items():
            if name == 'ours' or 'metrics' not in run:
                continue
            diff = max(abs(run['metrics'][k] - ours['metrics'][k]) for k in keys)
            print(f'  {name}: max |difference| = {diff:.3g}')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=5000)
    parser.add_argument('--iou-type', choices=('bbox', 'segm'), default='bbox')
    parser.add_argument('--version', choices=tuple(VERSIONS), default='v0.5')
    parser.add_argument('--protocol', choices=tuple(PROTOCOL_PEERS), default='lvis',
                        help="the evaluation's rules: LVIS (federated) or COCO")
    parser.add_argument('--peers', nargs='+', choices=PEERS, default=None,
                        help="default: the protocol's (lvis: ours official faster; coco: "
                             'ours pycocotools)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--workdir', type=Path,
                        default=Path(tempfile.gettempdir()) / 'lvis_eval_benchmark',
                        help='where the generated problem is cached')
    parser.add_argument('--mem-limit-gib', type=float, default=None,
                        help='address-space limit for each evaluator process')
    parser.add_argument('--timeout', type=float, default=None, help='seconds per evaluator')
    parser.add_argument('--json-out', type=Path, default=None, help='write the figures here')
    # internal: run one evaluator in this process
    parser.add_argument('--run-peer', choices=PEERS, help=argparse.SUPPRESS)
    parser.add_argument('--gt', help=argparse.SUPPRESS)
    parser.add_argument('--dt', help=argparse.SUPPRESS)
    parser.add_argument('--peer-out', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.run_peer:
        logging.disable(logging.WARNING)  # the official API warns about list input
        result = run_peer(args.run_peer, args.gt, args.dt, args.iou_type, args.protocol)
        Path(args.peer_out).write_text(json.dumps(result))
        return
    peers = args.peers or PROTOCOL_PEERS[args.protocol]
    wrong = sorted(set(peers) - set(PROTOCOL_PEERS[args.protocol]))
    if wrong:
        raise SystemExit(f'--peers {" ".join(wrong)}: not an evaluator of the '
                         f'{args.protocol} protocol ({", ".join(PROTOCOL_PEERS[args.protocol])})')
    problem_dir = (args.workdir /
                   f'{args.version}_{args.num_images}_{args.iou_type}_{args.seed}_crowdfield')
    if not (problem_dir / 'dt.json').is_file():
        tic = time.perf_counter()
        make_problem(args.num_images, args.version, args.iou_type, args.seed, problem_dir)
        print(f'generated {problem_dir} in {time.perf_counter() - tic:.0f} s')
    runs = {}
    for name in sorted(peers, key=PEERS.index):
        print(f'running {name} ...', flush=True)
        runs[name] = launch_peer(name, problem_dir / 'gt.json', problem_dir / 'dt.json',
                                 args.iou_type, args.mem_limit_gib, args.timeout,
                                 args.protocol)
    report(runs, args)
    if args.json_out:
        args.json_out.write_text(json.dumps({'args': {k: str(v) for k, v in vars(args).items()},
                                             'runs': runs}, indent=1))


if __name__ == '__main__':
    main()
