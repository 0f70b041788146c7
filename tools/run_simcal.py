"""SimCal stages 2 and 3 from a stage-1 checkpoint: calibrate, test the three inference
modes from one pass, report them side by side and plot per-class AP against training
frequency. Defaults: the toy data (configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py).

    python tools/run_simcal.py STAGE1.pth [--config CONFIG] [--work-dir DIR]
                               [--cfg-options k=v ...]
"""
import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mmengine.config import DictAction  # noqa: E402

from mmdet.apis import run_simcal  # noqa: E402

TOY_CONFIG = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='stage-1 detector checkpoint')
    parser.add_argument('--config', default=str(TOY_CONFIG), help='SimCal config')
    parser.add_argument('--work-dir', default='work_dirs/simcal_toy')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='k=v overrides for both stages')
    parser.add_argument('--no-plot', action='store_true')
    args = parser.parse_args(argv)
    return run_simcal(args.checkpoint, args.work_dir, args.config, args.cfg_options,
                      plot=not args.no_plot)


if __name__ == '__main__':
    main()
