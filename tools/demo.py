"""The main job on generated toy long-tail data, on the CPU: generate the data (once),
train Mask R-CNN (stage 1), calibrate its classifier with SimCal (stage 2) and test the
orig / cal / dual heads from one pass (stage 3), printing LVIS AP, APr/APc/APf, AP1..AP4
and bAP side by side and plotting per-class AP against training frequency.

    python tools/demo.py [--work-dir work_dirs/toy_demo]
"""
import argparse
import os
import os.path as osp
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mmdet.testing import make_toy_lvis  # noqa: E402

STAGE1_CONFIG = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'


def ensure_toy_data(data_root: Path, seed: int) -> None:
    marker = data_root / 'annotations' / 'lvis_toy_val.json'
    if marker.is_file():
        print(f'toy data found in {data_root}')
        return
    start = time.perf_counter()
    make_toy_lvis(data_root, seed=seed)
    print(f'toy data generated in {data_root} ({time.perf_counter() - start:.0f} s)')


def train_stage1(work_dir: Path, data_root: Path) -> dict:
    sys.path.insert(0, str(REPO / 'tools'))
    import train  # tools/train.py
    from mmdet.engine import Runner
    from mmdet.utils.setup_env import register_all_modules

    args = train.parse_args([str(STAGE1_CONFIG), '--work-dir', str(work_dir), '--seed', '0'])
    cfg = train.build_cfg(args)
    root = str(data_root) + '/'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator.ann_file = root + 'annotations/lvis_toy_val.json'
        evaluator.train_ann_file = root + 'annotations/lvis_toy_train.json'
    register_all_modules()
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.message_hub.log_scalars


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default=str(REPO / 'work_dirs' / 'toy_demo'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    start = time.perf_counter()
    os.chdir(REPO)  # the toy configs find their data at data/toy_lvis/
    data_root = REPO / 'data' / 'toy_lvis'
    ensure_toy_data(data_root, args.seed)
    scalars = train_stage1(Path(args.work_dir).resolve(), data_root)
    keys = ['bbox_AP', 'bbox_APr', 'bbox_APc', 'bbox_APf', 'bbox_bAP',
            'segm_AP', 'segm_APr', 'segm_APc', 'segm_APf', 'segm_bAP']
    values = {k: scalars[f'val/lvis/{k}'].current() for k in keys
              if f'val/lvis/{k}' in scalars}
    print('\nstage 1 (Mask R-CNN R18c16-FPN on toy LVIS): '
          + '  '.join(f'{k} {v:.3f}' for k, v in values.items()))
    sys.path.insert(0, str(REPO / 'tools'))
    from run_simcal import run_simcal
    stage1_ckpt = Path(args.work_dir).resolve() / 'epoch_{}.pth'.format(
        _max_epochs())
    run_simcal(str(stage1_ckpt), str(Path(args.work_dir).resolve() / 'simcal'))
    print(f'checkpoints, logs and the plot in {osp.relpath(args.work_dir)}; '
          f'total time {time.perf_counter() - start:.0f} s')


def _max_epochs() -> int:
    from mmengine.config import Config
    return Config.fromfile(str(STAGE1_CONFIG)).train_cfg.max_epochs


if __name__ == '__main__':
    main()
