"""SimCal stages 2 and 3 from a stage-1 checkpoint: calibrate, test the three inference
modes from one pass, report them side by side and plot per-class AP against training
frequency. Defaults: the toy data (configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py).

    python tools/run_simcal.py STAGE1.pth [--config CONFIG] [--work-dir DIR]
                               [--cfg-options k=v ...]

From Python: ``run_simcal(stage1_checkpoint, work_dir)`` (returns the table, metrics,
checkpoint, plot path and timings).
"""
import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TOY_CONFIG = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


def _tool(name: str):
    """A tools/ script as a module (tools/test.py would clash with the stdlib 'test')."""
    spec = importlib.util.spec_from_file_location('_simcal_' + name.replace('/', '_'),
                                                  REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_cfg(config: str, cfg_options: Optional[List[str]]):
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(config)
    if cfg_options:
        parser = argparse.ArgumentParser()
        parser.add_argument('--options', nargs='+', action=DictAction)
        cfg.merge_from_dict(parser.parse_args(['--options', *cfg_options]).options)
    return cfg


def run_simcal(stage1_checkpoint: str, work_dir: str = 'work_dirs/simcal_toy',
               config: str = str(TOY_CONFIG), cfg_options: Optional[List[str]] = None,
               plot: bool = True) -> Dict:
    """Stage 2 then stage 3 (``--mode all``); prints and returns the three-mode table."""
    work = Path(work_dir)
    options = ['--cfg-options', *cfg_options] if cfg_options else []
    timings = {}

    start = time.perf_counter()
    checkpoint = _tool('calibrate').main([config, '--load-from', str(stage1_checkpoint),
                                          '--work-dir', str(work / 'calibrate'), *options])
    timings['calibration_s'] = time.perf_counter() - start

    start = time.perf_counter()
    _tool('test').main([config, checkpoint, '--mode', 'all', '--classwise',
                                  '--work-dir', str(work / 'test'), *options])
    timings['test_s'] = time.perf_counter() - start

    from mmdet.calibration.testing import MODES_FILE
    report = json.loads((work / 'test' / MODES_FILE).read_text())  # written by the test
    result = dict(checkpoint=checkpoint, table=report['table'], metrics=report['metrics'],
                  timings=timings)
    if plot:
        cfg = _load_cfg(config, cfg_options)
        plotter = _tool('analysis/plot_ap_vs_frequency')
        out = str(work / 'ap_vs_frequency.png')
        plotter.main([str(work / 'test' / MODES_FILE), '--train-ann',
                      cfg.model.roi_head.train_ann_file, '--modes', 'orig', 'dual',
                      '--threshold', str(cfg.model.roi_head.count_threshold), '--out', out])
        result['plot'] = out
    print(f'SimCal stages 2+3: calibration {timings["calibration_s"]:.0f} s, test of the '
          f'three modes {timings["test_s"]:.0f} s')
    print(result['table'])
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('checkpoint', help='stage-1 detector checkpoint')
    parser.add_argument('--config', default=str(TOY_CONFIG), help='SimCal config')
    parser.add_argument('--work-dir', default='work_dirs/simcal_toy')
    parser.add_argument('--cfg-options', nargs='+', help='k=v overrides for both stages')
    parser.add_argument('--no-plot', action='store_true')
    args = parser.parse_args(argv)
    run_simcal(args.checkpoint, args.work_dir, args.config, args.cfg_options,
               plot=not args.no_plot)


if __name__ == '__main__':
    main()
