"""SimCal stages 2 and 3 from a stage-1 checkpoint (calibrate, test the three inference
modes from one pass, plot per-class AP against training frequency) and the side-by-side
report of the modes."""
import json
import os.path as osp
import time
from pathlib import Path
from typing import Dict, Optional, Sequence

from terminaltables import AsciiTable

from mmdet.models.roi_heads.score_modes import SIMCAL_MODES
from mmdet.utils.io import atomic_write_text
from .calibrate import build_calibration_cfg, run_calibration
from .test import build_test_cfg, run_test

TABLE_KEYS = ('AP', 'APr', 'APc', 'APf', 'AP1', 'AP2', 'AP3', 'AP4', 'bAP')
MODES_FILE = 'simcal_modes.json'


def metrics_by_mode(metrics: Dict[str, float], modes: Sequence[str] = SIMCAL_MODES
                    ) -> Dict[str, Dict[str, float]]:
    """``{'orig/segm_AP': x, ...}`` -> ``{'orig': {'segm_AP': x, ...}, ...}``."""
    out = {m: {} for m in modes}
    for key, value in metrics.items():
        mode, _, name = key.partition('/')
        if mode in out:
            out[mode][name] = value
    return out


def side_by_side_table(by_mode: Dict[str, Dict[str, float]],
                       iou_types: Sequence[str] = ('bbox', 'segm'),
                       keys: Sequence[str] = TABLE_KEYS) -> str:
    """One row per (iou type, mode), one column per summary key that some row has (COCO
    sets have no APr/APc/APf), in percent."""
    keys = [k for k in keys if any(f'{iou}_{k}' in values for values in by_mode.values()
                                   for iou in iou_types)]
    rows = [['', 'mode'] + list(keys)]
    for iou in iou_types:
        for mode, values in by_mode.items():
            if not any(k.startswith(f'{iou}_') for k in values):
                continue
            row = [iou, mode]
            for key in keys:
                value = values.get(f'{iou}_{key}')
                row.append('-' if value is None or value < 0 else f'{100 * value:.1f}')
            rows.append(row)
    return AsciiTable(rows).table


def report_modes(metrics: Dict[str, float], work_dir: Optional[str] = None,
                 modes: Sequence[str] = SIMCAL_MODES) -> str:
    """The side-by-side table of a test of several modes (``--mode all``: SimCal's
    three); also written, with every metric by mode, to ``work_dir/simcal_modes.json``."""
    by_mode = metrics_by_mode(metrics, modes)
    table = side_by_side_table(by_mode)
    if work_dir is not None:
        atomic_write_text(osp.join(work_dir, MODES_FILE),
                          json.dumps(dict(metrics=by_mode, table=table), indent=1))
    return table


def run_simcal(stage1_checkpoint: str, work_dir: str, config: str,
               cfg_options: Optional[dict] = None, plot: bool = True) -> Dict:
    """Stage 2 (calibration into ``work_dir/calibrate``) then stage 3 (``--mode all``
    with per-class tables, into ``work_dir/test``) and the AP-vs-frequency plot of
    orig and dual. Prints the three-mode table; returns the checkpoint, table, metrics
    by mode, plot path and timings."""
    from mmdet.visualization import plot_ap_vs_frequency
    work = Path(work_dir)
    timings = {}
    start = time.perf_counter()
    checkpoint = run_calibration(build_calibration_cfg(
        config, stage1_checkpoint, work_dir=str(work / 'calibrate'), cfg_options=cfg_options))
    timings['calibration_s'] = time.perf_counter() - start

    start = time.perf_counter()
    test_cfg = build_test_cfg(config, checkpoint, work_dir=str(work / 'test'),
                              cfg_options=cfg_options, mode='all', classwise=True)
    metrics = run_test(test_cfg)
    timings['test_s'] = time.perf_counter() - start
    by_mode = metrics_by_mode(metrics)
    result = dict(checkpoint=checkpoint, table=side_by_side_table(by_mode), metrics=by_mode,
                  timings=timings)
    if plot:
        tables = {m: str(work / 'test' / f'per_class_ap.{m}.segm.csv') for m in ('orig', 'dual')}
        result['plot'] = plot_ap_vs_frequency(
            tables, str(work / 'ap_vs_frequency.png'),
            threshold=test_cfg.model.roi_head.count_threshold)
    print(f'SimCal stages 2+3: calibration {timings["calibration_s"]:.0f} s, test of the '
          f'three modes {timings["test_s"]:.0f} s')
    return result
