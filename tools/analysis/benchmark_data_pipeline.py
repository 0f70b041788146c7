"""The training data pipeline at LVIS settings, ours against mmdetection 3.3's on the same
files: images per second of one data-loader worker (one process, no worker processes of
its own, OpenCV single-threaded as mmengine's ``opencv_num_threads=0`` sets it), and
where each image's time goes (read+decode, annotations with polygons -> masks, resize,
flip, pack).

    python tools/analysis/benchmark_data_pipeline.py                  # ours alone
    MMDET_PEER_PYTHON=/tmp/peer/bin/python python tools/analysis/benchmark_data_pipeline.py \
        --num-images 200

The data is generated (``mmdet/testing/lvis_like.py``, in a temporary folder or
``--work-dir``): ``--num-images`` JPEG images at COCO's usual sizes (640x480, 480x640,
640x427, 500x375, ...) with textured content, so that decoding costs what a photo's does,
and an LVIS v0.5 annotation file (1,230 categories with frequencies r/c/f, images found by
their ``coco_url`` as ``train2017/<id>.jpg``) whose polygon instances average about 12 per
image; most polygons have 8-40 vertices, some hundreds, some objects several parts, and
one image in a hundred (at least one) has ``--max-instances`` (300) of them.

Ours is ``configs/_base_/datasets/lvis_v0.5_instance.py``'s training dataset and pipeline
(LoadImageFromFile, LoadAnnotations with boxes and masks, Resize to (1333, 800) keeping
the ratio, RandomFlip 0.5, PackDetInputs). mmdetection's runs in its own Python
(``--mmdet-python``, default ``$MMDET_PEER_PYTHON``; ``mmdet_peer_pipeline_worker.py``,
both packages being called ``mmdet``) with the same pipeline built from its own
transforms (its LoadAnnotations decodes polygons with ``poly2mask=True``; its packaged
LVIS config draws the scale from 640-800 short sides, here both use 800). Its
``LVISV05Dataset`` needs the official ``lvis`` package, which its Python lacks, so it reads
a COCO-format copy of the same annotations with its ``CocoDataset``, each file name cut
to the last 16 characters as its ``LVISV05Dataset`` does (``COCO_train2014_<id>.jpg`` ->
``<id>.jpg`` under ``train2017/``): the same images and instances in the same order.

Each round times ours and then mmdetection's (the order alternates between rounds: this
machine's speed drifts by up to 30 % from minute to minute), each in a fresh process over
every image once, seeded alike per image so both flip the same images; each checks its
output (instances, mask pixels, image and box sums, flips), and the two must agree
(else the run fails, without a ratio).
Our process also times mmcv.transforms' LoadImageFromFile, LoadAnnotations (boxes and
labels: it has no masks), Resize and RandomFlip against ours, image by image in
alternating order, on the image and boxes only, and checks their outputs are equal
(mmcv's RandomFlip hands on numpy's reversed view, ours a contiguous image: the copy
mmcv saves there PackDetInputs makes later).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmark import mmdetection_peer  # noqa: E402
from mmdet.testing.lvis_like import make_lvis_like  # noqa: E402
from pipeline_timing import (RECORD, flip_seed, one_worker_threads, seed_all,  # noqa: E402
                             time_dataset)

CONFIG = ROOT / 'configs/_base_/datasets/lvis_v0.5_instance.py'
PEER_WORKER = Path(__file__).with_name('mmdet_peer_pipeline_worker.py')
ROWS = (RECORD, 'read+decode', 'annotations (polygons->masks)', 'resize', 'flip', 'pack')
MMCV_ROWS = ('read+decode (LoadImageFromFile)', 'annotations, boxes+labels (LoadAnnotations)',
             'resize, image+boxes (Resize)', 'flip, image+boxes, always (RandomFlip)')


# ----------------------------------------------------------------------- our worker
def train_config():
    from mmengine.config import Config
    return Config.fromfile(str(CONFIG))


def build_ours(data: dict):
    """Our training dataset of the LVIS v0.5 config, on the generated set."""
    from mmdet.analysis.browse import build_split
    cfg = train_config()
    cfg.train_dataloader.dataset.update(data_root=data['data_root'] + '/',
                                        ann_file=data['ann_file'])
    return build_split(cfg, 'train')


def compare_mmcv(dataset, seed: int, scale) -> dict:
    """Seconds of mmcv.transforms' LoadImageFromFile, LoadAnnotations (boxes, labels),
    Resize and RandomFlip (always) against ours over every image (after one untimed), in
    alternating order, on the image and boxes only; ``same``: whether every output was
    equal."""
    from mmcv import transforms as mmcv_t

    from mmdet.datasets import transforms as ours_t
    pairs = [(ours_t.LoadImageFromFile(), mmcv_t.LoadImageFromFile()),
             (ours_t.LoadAnnotations(with_bbox=True, with_label=True),
              mmcv_t.LoadAnnotations(with_bbox=True, with_label=True)),
             (ours_t.Resize(scale=scale, keep_ratio=True), mmcv_t.Resize(scale, keep_ratio=True)),
             (ours_t.RandomFlip(prob=1.0), mmcv_t.RandomFlip(prob=1.0))]
    seconds = {'ours': [0.0] * len(pairs), 'mmcv': [0.0] * len(pairs)}
    same = True
    for n, i in enumerate([0, *range(len(dataset))]):  # image 0 first untimed: a warm-up
        info = dataset.get_data_info(i)
        order = ('ours', 'mmcv') if i % 2 == 0 else ('mmcv', 'ours')
        out = {}
        for impl in order:
            seed_all(flip_seed(seed, i))
            results = dict(info)
            for k, pair in enumerate(pairs):
                start = time.perf_counter()
                results = pair[impl == 'mmcv'](results)
                seconds[impl][k] += (time.perf_counter() - start) if n else 0.0
            out[impl] = results
        a, b = out['ours'], out['mmcv']
        same = same and np.array_equal(a['img'], b['img']) and np.allclose(
            a['gt_bboxes'], b['gt_bboxes'], atol=1e-3) and np.array_equal(
            a['gt_bboxes_labels'], b['gt_bboxes_labels'])
    return dict(ours=seconds['ours'], mmcv=seconds['mmcv'], same=bool(same))


def our_worker(args) -> dict:
    one_worker_threads()
    data = json.loads(Path(args.data).read_text())
    dataset = build_ours(data)
    result = time_dataset(dataset, args.seed)
    resize = next(t for t in train_config().train_pipeline if t['type'] == 'Resize')
    result['mmcv'] = compare_mmcv(dataset, args.seed, tuple(resize['scale']))
    return result


# ------------------------------------------------------------------------ the rounds
def worker_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    return env


def run_ours(data_json: str, seed: int) -> dict:
    """Our worker: this script with ``--worker``, in a fresh process."""
    cmd = [sys.executable, str(Path(__file__).resolve()), '--worker', '--data', data_json,
           '--seed', str(seed)]
    return _run(cmd, 'ours', cwd=str(ROOT))


def run_peer(python: str, data_json: str, seed: int, pipeline) -> dict:
    """mmdetection's worker in its own Python, from a folder that is no source checkout."""
    cmd = [python, str(PEER_WORKER), '--data', data_json, '--seed', str(seed),
           '--pipeline', json.dumps(pipeline)]
    return _run(cmd, 'mmdetection', cwd=tempfile.gettempdir())


def _run(cmd, name, cwd) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=worker_env())
    if out.returncode != 0:
        raise RuntimeError(f'the {name} worker failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def combine(runs) -> dict:
    """Rounds of one pipeline: images/s over all of them and ms per image per row."""
    images = sum(r['images'] for r in runs)
    seconds = sum(r['seconds'] for r in runs)
    rows = {row: 1000 * sum(r['steps'].get(row, 0.0) for r in runs) / images
            for row in dict.fromkeys([*ROWS, *(k for r in runs for k in r['steps'])])}
    return dict(images_per_s=images / seconds, ms=rows, total_ms=1000 * seconds / images,
                per_round=[r['images'] / r['seconds'] for r in runs])


def print_table(results: dict, rounds: int, num_images: int) -> None:
    impls = list(results)
    header = f'{"one worker, " + str(rounds) + " x " + str(num_images) + " images":36s}' + \
        ''.join(f'{i:>13s}' for i in impls)
    if len(impls) > 1:
        header += f'{"ours/" + impls[1]:>20s}'
    print(header)
    ours, other = results[impls[0]], results.get(impls[-1]) if len(impls) > 1 else None
    line = f'{"images/s":36s}' + ''.join(f'{results[i]["images_per_s"]:13.2f}' for i in impls)
    if other:
        line += f'{ours["images_per_s"] / other["images_per_s"]:20.2f}'
    print(line)
    print('ms per image:')
    for row in list(ours['ms']) + ['total']:
        vals = [results[i]['total_ms'] if row == 'total' else results[i]['ms'].get(row)
                for i in impls]
        line = f'  {row:34s}' + ''.join(f'{"-":>13s}' if v is None else f'{v:13.1f}'
                                        for v in vals)
        if other and vals[0] and vals[-1]:
            line += f'{vals[-1] / vals[0]:20.2f}'
        print(line)
    if other:
        print(f'(ours/{impls[-1]}: images/s ratio, i.e. its time / ours: above 1 ours is faster)')


def print_mmcv(runs) -> dict:
    """The mmcv.transforms comparison over the rounds, ms per image; returns the rows."""
    n = sum(r['images'] for r in runs)
    rows = {}
    print('\nmmcv.transforms next to ours (our process, image + boxes only), ms per image:')
    print(f'{"":44s}{"ours":>10s}{"mmcv":>10s}{"ours/mmcv":>12s}')
    for k, row in enumerate(MMCV_ROWS):
        ours = 1000 * sum(r['mmcv']['ours'][k] for r in runs) / n
        theirs = 1000 * sum(r['mmcv']['mmcv'][k] for r in runs) / n
        rows[row] = dict(ours=ours, mmcv=theirs, ratio=theirs / ours)
        print(f'  {row:42s}{ours:10.2f}{theirs:10.2f}{theirs / ours:12.2f}')
    same = all(r['mmcv']['same'] for r in runs)
    print(f'  (ours/mmcv: its time / ours; outputs equal: {"yes" if same else "NO"}; mmcv\'s '
          'flip hands on a reversed view, whose copy PackDetInputs makes later)')
    return dict(rows=rows, same=same)


def same_work(a: dict, b: dict) -> bool:
    keys = ('instances', 'mask_pixels', 'image_sum', 'image_pixels', 'flipped')
    return all(a[k] == b[k] for k in keys) and abs(a['box_sum'] - b['box_sum']) <= \
        1e-5 * max(1.0, abs(a['box_sum']))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, default=200)
    parser.add_argument('--rounds', type=int, default=2,
                        help='rounds, each timing ours and mmdetection once (alternating)')
    parser.add_argument('--max-instances', type=int, default=300,
                        help='instances of the crowded images (one in a hundred), and the '
                             'most any image has')
    parser.add_argument('--mmdet-python', default=os.environ.get('MMDET_PEER_PYTHON'),
                        help='a Python where mmdetection 3.x is installed (default: '
                             '$MMDET_PEER_PYTHON): adds its pipeline as a column')
    parser.add_argument('--work-dir', help='write the generated set here (default: a '
                                           'temporary folder, removed afterwards)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    parser.add_argument('--data', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(our_worker(args)))
        return None

    peer = mmdetection_peer(args.mmdet_python)
    if args.mmdet_python and not peer:
        print(f'{args.mmdet_python} does not import mmdetection 3.x: ours alone')
    with tempfile.TemporaryDirectory() as tmp:
        work_dir = Path(args.work_dir or tmp)
        start = time.perf_counter()
        data = make_lvis_like(work_dir, args.num_images, args.seed, args.max_instances)
        data_json = work_dir / 'benchmark_data.json'
        data_json.write_text(json.dumps(data))
        print(f'generated in {time.perf_counter() - start:.1f} s: {data["images"]} images at '
              f'COCO sizes (JPEG {data["jpeg_kb"]:.0f} KB on average), {data["instances"]} '
              f'polygon instances ({data["instances"] / data["images"]:.1f} per image, '
              f'{data["crowded"]} image(s) with {data["max_per_image"]}), {data["polygons"]} '
              f'polygons (median {data["median_vertices"]} vertices, {data["many_vertices"]} '
              f'with 100+, at most {data["max_vertices"]}), {data["classes"]} classes')
        pipeline = [dict(t) for t in train_config().train_pipeline]
        print('pipeline (both): ' + ', '.join(
            t['type'] + '(' + ', '.join(f'{k}={v}' for k, v in t.items() if k != 'type') + ')'
            for t in pipeline))
        if peer:
            print(f'mmdetection {peer} ({args.mmdet_python}): its transforms, its CocoDataset '
                  'on the COCO-format copy', flush=True)
        runs = {'ours': []} | ({'mmdetection': []} if peer else {})
        for r in range(args.rounds):
            order = list(runs) if r % 2 == 0 else list(runs)[::-1]
            for impl in order:
                if impl == 'ours':
                    runs[impl].append(run_ours(str(data_json), args.seed))
                else:
                    runs[impl].append(run_peer(args.mmdet_python, str(data_json), args.seed,
                                               pipeline))
            print(f'round {r + 1}: ' + ', '.join(
                f'{impl} {runs[impl][-1]["images"] / runs[impl][-1]["seconds"]:.2f} images/s'
                for impl in order))
    results = {impl: combine(r) for impl, r in runs.items()}
    c = runs['ours'][0]['check']
    print(f'outputs of a round (ours): {c["instances"]} instances, {c["mask_pixels"]} mask '
          f'pixels, {c["flipped"]} of {data["images"]} images flipped')
    if peer:
        theirs = [r['check'] for r in runs['mmdetection']]
        same = all(same_work(c, r['check']) for r in runs['ours'][1:] + runs['mmdetection'])
        print(f'mmdetection delivered the same (instances, mask pixels, image and box sums, '
              f'flips): {"yes" if same else "NO: " + json.dumps(theirs)}')
        results['same_outputs'] = same
    print()
    print_table({i: results[i] for i in runs}, args.rounds, args.num_images)
    results['mmcv'] = print_mmcv(runs['ours'])
    speed = results['ours']['images_per_s']
    if peer and not results['same_outputs']:
        raise SystemExit('the two pipelines delivered different outputs (above): their '
                         'speeds are not comparable')
    if peer:
        theirs = results['mmdetection']['images_per_s']
        print(f'\nours/mmdetection images/s ratio: {speed / theirs:.2f} (ours {speed:.2f}, '
              f'mmdetection {theirs:.2f} images/s per worker)')
    print(f'ours: {speed:.2f} images/s per worker: 8 GPUs at 10 images/s each need '
          f'{int(np.ceil(10 / speed))} worker(s) per GPU (goal: at most 4, i.e. >= 2.5 '
          'images/s per worker)')
    results['data'] = data
    return results


if __name__ == '__main__':
    main()
