"""Test-time helpers for SimCal configs: choose the inference mode, score the three
modes from one pass (one LVIS evaluator per mode), and report them side by side."""
import json
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from terminaltables import AsciiTable

from mmdet.utils.io import atomic_write_text
from .scores import ALL_MODES, INFERENCE_MODES, check_mode

TABLE_KEYS = ('AP', 'APr', 'APc', 'APf', 'AP1', 'AP2', 'AP3', 'AP4', 'bAP')
MODES_FILE = 'simcal_modes.json'


def configure_test_mode(cfg: Config, mode: str) -> None:
    """Set ``model.roi_head.inference_mode``; for 'all', one LVISMetric per mode reads
    ``pred_instances_{mode}`` and prefixes its results with the mode."""
    check_mode(mode)
    roi_head = cfg.model.get('roi_head') or {}
    if roi_head.get('type') != 'SimCalRoIHead':
        if mode != 'orig':
            raise ValueError(f'--mode {mode} needs a SimCal config (configs/simcal/): this '
                             'model has no calibration head')
        return
    roi_head['inference_mode'] = mode
    if mode != ALL_MODES:
        return
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
        cfg.test_evaluator]
    split = []
    for evaluator in evaluators:
        if evaluator.get('type') != 'LVISMetric':
            split.append(evaluator)
            continue
        for m in INFERENCE_MODES:
            per_mode = dict(evaluator, pred_field=f'pred_instances_{m}', prefix=m)
            if evaluator.get('outfile_prefix'):
                per_mode['outfile_prefix'] = f'{evaluator["outfile_prefix"]}.{m}'
            split.append(per_mode)
    cfg.test_evaluator = split


def metrics_by_mode(metrics: Dict[str, float], modes: Sequence[str] = INFERENCE_MODES
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
    """One row per (iou type, mode), one column per summary key, in percent."""
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


def report_modes(metrics: Dict[str, float], work_dir: Optional[str] = None) -> str:
    """The side-by-side table of a ``--mode all`` test; also written, with every metric
    by mode, to ``work_dir/simcal_modes.json``."""
    by_mode = metrics_by_mode(metrics)
    table = side_by_side_table(by_mode)
    if work_dir is not None:
        atomic_write_text(osp.join(work_dir, MODES_FILE),
                          json.dumps(dict(metrics=by_mode, table=table), indent=1))
    return table
