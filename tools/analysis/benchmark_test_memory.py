"""Memory and speed of tools/test.py on a toy val set of many small images, with LVIS
test settings (1000 proposals, score_thr 1e-4, 300 detections per image).

Generates a toy LVIS dataset (``mmdet.testing.make_toy_lvis``, val images of 64x64), a val
annotation file for each size (its first N images), a config based on
``configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py`` and a checkpoint of the randomly
initialised model: its near-uniform class scores (~1/51) put thousands of candidates
above 1e-4 in every image, so each image keeps its 300 detections. Then runs
tools/test.py per size in a subprocess (LVIS bbox + segm evaluation, ``--out`` pickle and
``--outfile-prefix`` JSON files) and reports its resident memory (VmRSS) at 10 %, 50 %
and 100 % of the test loop, its peak during the loop (VmHWM) and overall (evaluation
included), the loop's images/s, the seconds after the loop (merging, evaluation,
writing) and the detections per image (read back from the bbox result file).

``--baseline-repo DIR`` runs the same with another checkout's tools/test.py, e.g. the
one before results were streamed to shards::

    mkdir /tmp/baseline && git archive <commit> | tar -x -C /tmp/baseline
    nice -n 10 python tools/analysis/benchmark_test_memory.py --baseline-repo /tmp/baseline
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

BASE_CONFIG = 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
TEST_SETTINGS = dict(rpn=dict(nms_pre=1000, max_per_img=1000),
                     rcnn=dict(score_thr=1e-4, max_per_img=300))
# a test iteration's log line (the metrics line after the loop has no eta)
LOOP_LINE = re.compile(r'Epoch\(test\) \[\s*(\d+)/(\d+)\]\s+eta:')


# ------------------------------------------------------------------------- inputs
def make_data(root: Path, num_images: int, image_size: int, num_classes: int) -> dict:
    """The toy dataset (cached under ``root``); 200 small training images for the bins."""
    from mmdet.testing import make_toy_lvis
    params = dict(num_classes=num_classes, num_train_images=200, num_val_images=num_images,
                  image_size=(image_size, image_size), seed=0, lvis_stats_file=False)
    stamp = root / 'params.json'
    if stamp.is_file() and json.loads(stamp.read_text()) == params:
        ann = root / 'annotations'
        return dict(data_root=str(root), train_ann_file=str(ann / 'lvis_toy_train.json'),
                    val_ann_file=str(ann / 'lvis_toy_val.json'))
    paths = make_toy_lvis(root, **params)
    stamp.write_text(json.dumps(params))
    return paths


def first_images(val_ann_file: str, num_images: int, out: Path) -> Path:
    """An annotation file with the first ``num_images`` images (by id) of the val split."""
    dataset = json.loads(Path(val_ann_file).read_text())
    images = sorted(dataset['images'], key=lambda img: img['id'])[:num_images]
    if len(images) < num_images:
        raise ValueError(f'{val_ann_file} has {len(images)} images, not {num_images}')
    kept = {img['id'] for img in images}
    dataset.update(images=images,
                   annotations=[a for a in dataset['annotations'] if a['image_id'] in kept])
    out.write_text(json.dumps(dataset))
    return out


def write_config(path: Path, repo: Path, data: dict, val_ann_file: Path, num_classes: int,
                 batch_size: int) -> Path:
    data_root = data['data_root'].rstrip('/') + '/'
    path.write_text(f"""_base_ = ['{repo / BASE_CONFIG}']
num_classes = {num_classes}
model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes),
                           mask_head=dict(num_classes=num_classes)),
             test_cfg={TEST_SETTINGS!r})
test_dataloader = dict(batch_size={batch_size}, dataset=dict(
    data_root='{data_root}', ann_file='{val_ann_file}'))
test_evaluator = dict(ann_file='{val_ann_file}', train_ann_file='{data['train_ann_file']}')
default_hooks = dict(logger=dict(interval=1))
custom_hooks = []
""")
    return path


def save_random_checkpoint(config: Path, out: Path) -> Path:
    """The randomly initialised model of ``config``, saved as a checkpoint."""
    import torch
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmdet')
    MMLogger.get_instance('benchmark_test_memory', log_level='WARNING')  # no init report
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    model.init_weights()
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, out)
    return out


# ------------------------------------------------------------------------ one run
def _proc_status_mib(pid: int) -> Dict[str, float]:
    try:
        lines = Path(f'/proc/{pid}/status').read_text().splitlines()
    except OSError:
        return {}
    return {k: int(v.split()[0]) / 1024 for k, _, v in (line.partition(':') for line in lines)
            if k in ('VmRSS', 'VmHWM')}


def run_test(repo: Path, config: Path, checkpoint: Path, work_dir: Path,
             num_images: int) -> dict:
    """tools/test.py of ``repo`` on ``config``; memory read from /proc at each logged test
    iteration (every one) and the peak from ``wait4`` when it ends."""
    work_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(repo / 'tools/test.py'), str(config), str(checkpoint),
           '--work-dir', str(work_dir), '--out', str(work_dir / 'results.pkl'),
           '--outfile-prefix', str(work_dir / 'results')]
    env = dict(os.environ, PYTHONPATH=str(repo), OMP_NUM_THREADS='1')
    env.pop('LOCAL_RANK', None)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    loop: List[tuple] = []  # (iteration, iterations, seconds, VmRSS MiB, VmHWM MiB)
    with open(work_dir / 'test.log', 'w') as log:
        for line in proc.stdout:
            log.write(line)
            match = LOOP_LINE.search(line)
            if match:
                status = _proc_status_mib(proc.pid)
                loop.append((int(match[1]), int(match[2]), time.perf_counter() - start,
                             status.get('VmRSS', math.nan), status.get('VmHWM', math.nan)))
    _, wait_status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(wait_status)
    wall = time.perf_counter() - start
    if proc.returncode != 0 or not loop:
        raise RuntimeError(f'{" ".join(cmd)} failed (exit {proc.returncode}); see '
                           f'{work_dir / "test.log"}')
    iters = loop[-1][1]
    rss_by_decile = [min(loop, key=lambda row: abs(row[0] - d / 10 * iters))[3]
                     for d in range(1, 11)]  # VmRSS at 10 %, 20 %, ..., 100 % of the loop
    first, last = loop[0], loop[-1]
    return dict(images=num_images, wall_s=wall,
                loop_images_per_s=(num_images * (last[0] - first[0]) / last[0]
                                   / max(last[2] - first[2], 1e-9)),
                after_loop_s=wall - last[2], rss_by_decile_mib=rss_by_decile,
                rss_10pct_mib=rss_by_decile[0], rss_50pct_mib=rss_by_decile[4],
                rss_loop_end_mib=last[3], peak_loop_mib=last[4],
                peak_mib=usage.ru_maxrss / 1024,
                **count_detections(work_dir / 'results.bbox.json'))


def count_detections(bbox_file: Path) -> dict:
    """Detections per image in a result file (read by lvis_api's column scanner)."""
    import numpy as np

    from lvis_api._results_scanner import scan_results_file
    scanned = scan_results_file(bbox_file)
    if scanned is None:
        raise ValueError(f'{bbox_file} is not a plain LVIS result file')
    _, per_image = np.unique(scanned.image_ids, return_counts=True)
    return dict(dets_per_image=float(per_image.mean()) if len(per_image) else 0.0,
                min_dets_per_image=int(per_image.min()) if len(per_image) else 0)


# ------------------------------------------------------------------------- report
COLUMNS = (('version', '{:<10}', 'version'), ('images', '{:>6}', 'images'),
           ('dets_per_image', '{:>8.1f}', 'dets/img'),
           ('loop_images_per_s', '{:>9.1f}', 'loop im/s'),
           ('after_loop_s', '{:>7.1f}', 'eval s'), ('wall_s', '{:>7.1f}', 'wall s'),
           ('rss_10pct_mib', '{:>8.0f}', 'RSS@10%'), ('rss_50pct_mib', '{:>8.0f}', 'RSS@50%'),
           ('rss_loop_end_mib', '{:>8.0f}', 'RSS@end'),
           ('peak_loop_mib', '{:>9.0f}', 'peak loop'), ('peak_mib', '{:>6.0f}', 'peak'))


def table(rows: List[dict]) -> str:
    widths = [int(re.search(r'\d+', fmt)[0]) for _, fmt, _ in COLUMNS]
    header = [title.ljust(w) if i == 0 else title.rjust(w)
              for i, ((_, _, title), w) in enumerate(zip(COLUMNS, widths))]
    lines = [' '.join(header)]
    for row in rows:
        lines.append(' '.join(fmt.format(row[key]) for key, fmt, _ in COLUMNS))
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-images', type=int, nargs='+', default=[500, 5000],
                        help='val set sizes (the first N images of one generated set)')
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--num-classes', type=int, default=50)
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--baseline-repo', type=Path,
                        help='also run this checkout\'s tools/test.py, for comparison')
    parser.add_argument('--work-dir', type=Path, default=REPO_ROOT / 'work_dirs' /
                        'benchmark_test_memory', help='data, configs, logs and results')
    parser.add_argument('--json-out', type=Path, help='also write the figures here')
    return parser.parse_args(argv)


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    work = args.work_dir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    tic = time.perf_counter()
    data = make_data(work / 'data', max(args.num_images), args.image_size, args.num_classes)
    print(f'toy data in {work / "data"} ({time.perf_counter() - tic:.0f} s)', flush=True)
    repos = {'current': REPO_ROOT}
    if args.baseline_repo is not None:
        repos['baseline'] = args.baseline_repo.resolve()
    checkpoint = None
    rows = []
    for n in args.num_images:
        val_ann = first_images(data['val_ann_file'], n, work / f'val_first{n}.json')
        for version, repo in repos.items():
            config = write_config(work / f'{version}_first{n}.py', repo, data, val_ann,
                                  args.num_classes, args.batch_size)
            if checkpoint is None:
                checkpoint = save_random_checkpoint(config, work / 'random_init.pth')
            print(f'{version}: tools/test.py on {n} images ...', flush=True)
            row = dict(version=version, **run_test(repo, config, checkpoint,
                                                   work / f'{version}_first{n}', n))
            rows.append(row)
            print(table([row]).splitlines()[1], flush=True)
    print(f'\ntools/test.py, toy LVIS val {args.image_size}x{args.image_size}, random '
          f'weights, test_cfg {TEST_SETTINGS}, bbox+segm eval, --out and --outfile-prefix;'
          f' memory in MiB')
    print(table(rows))
    if args.json_out:
        args.json_out.write_text(json.dumps(rows, indent=1))
    return rows


if __name__ == '__main__':
    main()
