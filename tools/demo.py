"""The main job on generated toy long-tail data, on the CPU: generate the data (once),
train Mask R-CNN (stage 1), calibrate its classifier with SimCal (stage 2) and test the
orig / cal / dual heads from one pass (stage 3), printing LVIS AP, APr/APc/APf, AP1..AP4
and bAP side by side and plotting per-class AP against training frequency.

    python tools/demo.py [--work-dir work_dirs/toy_demo] [--seed 0]
"""
import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mmdet.apis import run_toy_demo  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default=str(REPO / 'work_dirs' / 'toy_demo'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    work_dir = Path(args.work_dir).resolve()
    os.chdir(REPO)  # the toy configs find their data at data/toy_lvis/
    return run_toy_demo('configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py',
                        'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
                        str(work_dir), args.seed)


if __name__ == '__main__':
    main()
