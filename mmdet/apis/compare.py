"""SimCal beside the other calibrations, on one stage-1 model
(``tools/analysis/compare_calibrations.py``): one test pass of the calibrated SimCal
model (or of the stage-1 model) scores orig, cal, dual, NorCal and tau-normalisation
(and any gamma / tau sweep) side by side; one pass of the BAGS model trained from the
same stage-1 weights adds BAGS. One table, one AP-vs-frequency plot."""
import json
import re
import time
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import torch

from mmdet.utils.io import atomic_write_text
from .simcal import metrics_by_mode, side_by_side_table
from .test import build_test_cfg, run_test

# what a SimCal or BAGS model adds to (or retrains of) the stage-1 detector
CLASSIFIER_KEYS = re.compile(r'roi_head\.(calib_head\..*|bbox_head\.(\d+\.)?'
                             r'(fc_cls\..*|train_instance_counts))')
RESULTS_FILE = 'comparison.json'


def best_mode(by_mode: Dict[str, Dict[str, float]], candidates: Sequence[str]) -> str:
    """The candidate with the highest segm AP (bbox AP for box-only models)."""
    def score(mode):
        values = by_mode[mode]
        return values.get('segm_AP', values.get('bbox_AP', -1.0))
    return max(candidates, key=score)


def detector_difference(ckpt_a: str, ckpt_b: str) -> list:
    """Keys of the detector (classifiers and calibration heads aside) whose weights
    differ between two checkpoints: empty when both come from the same stage-1 model
    with only their classifiers trained."""
    from mmdet.utils.checkpoint import extract_state_dict, read_checkpoint

    def weights(path):
        state = extract_state_dict(read_checkpoint(path))
        return {k: v for k, v in state.items() if not CLASSIFIER_KEYS.fullmatch(k)}
    a, b = weights(ckpt_a), weights(ckpt_b)
    return sorted(k for k in set(a) | set(b)
                  if k not in a or k not in b or a[k].shape != b[k].shape
                  or not torch.equal(a[k], b[k]))


def compare_calibrations(work_dir: str, model: Tuple[str, str],
                         bags: Optional[Tuple[str, str]] = None,
                         gamma: Optional[float] = None, tau: Optional[float] = 1.0,
                         sweep_gamma: Sequence[float] = (), sweep_tau: Sequence[float] = (),
                         cfg_options: Optional[dict] = None, plot: bool = True) -> Dict:
    """Test ``model`` (config, checkpoint: a SimCal-calibrated model, or a stage-1 one)
    in orig [, cal, dual], NorCal (``gamma``, else the best of ``sweep_gamma``) and
    tau-norm (``tau``, else the best of ``sweep_tau``) from one pass, and the BAGS model
    ``bags`` in its own pass; returns the tables, metrics by method, plot and timings
    (seconds; all also written to ``work_dir/comparison.json``)."""
    from mmengine.config import Config
    config, checkpoint = model
    if gamma is None and not sweep_gamma:
        raise ValueError("NorCal needs a gamma: give --gamma or --sweep-gamma (NorCal tunes "
                         'it per model)')
    if tau is None and not sweep_tau:
        raise ValueError('tau-normalisation needs a tau: give --tau or --sweep-tau')
    for path in [config, checkpoint] + list(bags or ()):
        if not Path(path).is_file():
            raise FileNotFoundError(f'compare_calibrations: no such file {path}')
    from .test import SIMCAL_ROI_HEADS
    simcal = (Config.fromfile(config).model.get('roi_head') or {}).get('type') in SIMCAL_ROI_HEADS
    norcal_modes = [f'norcal@{g:g}' for g in ([gamma] if gamma is not None else []) + list(sweep_gamma)]
    tau_modes = [f'tau@{t:g}' for t in ([tau] if tau is not None else []) + list(sweep_tau)]
    modes = ['orig'] + (['cal', 'dual'] if simcal else []) + norcal_modes + tau_modes
    modes = list(dict.fromkeys(modes))
    work = Path(work_dir)
    timings, notes = {}, []

    start = time.perf_counter()
    test_cfg = build_test_cfg(config, checkpoint, work_dir=str(work / 'model'),
                              cfg_options=cfg_options, mode=modes, classwise=True)
    by_mode = metrics_by_mode(run_test(test_cfg), modes)
    timings[f'one test pass, {len(modes)} modes'] = time.perf_counter() - start
    tables = {m: str(work / 'model' / f'per_class_ap.{m}.segm.csv') for m in modes}

    chosen_norcal = norcal_modes[0] if gamma is not None else best_mode(by_mode, norcal_modes)
    chosen = ['orig'] + (['cal', 'dual'] if simcal else [])
    if bags is not None:
        start = time.perf_counter()
        bags_cfg = build_test_cfg(bags[0], bags[1], work_dir=str(work / 'bags'),
                                  cfg_options=cfg_options, mode='orig', classwise=True)
        metrics = run_test(bags_cfg)
        by_mode['bags'] = {key.partition('/')[2]: value for key, value in metrics.items()
                           if '/' in key}
        timings['BAGS test pass'] = time.perf_counter() - start
        tables['bags'] = str(work / 'bags' / 'per_class_ap.segm.csv')
        chosen.append('bags')
        differ = detector_difference(checkpoint, bags[1])
        if differ:
            notes.append(f'the BAGS checkpoint differs from the compared model in '
                         f'{len(differ)} detector weights besides the classifiers (e.g. '
                         f'{differ[0]}): it was not trained from the same stage-1 model')
    chosen.append(chosen_norcal)
    if gamma is None:
        notes.append(f'{chosen_norcal}: the best AP of the gamma sweep, chosen on the '
                     'evaluated set (NorCal tunes gamma on val)')
    chosen_tau = tau_modes[0] if tau is not None else best_mode(by_mode, tau_modes)
    chosen.append(chosen_tau)
    if tau is None:
        notes.append(f'{chosen_tau}: the best AP of the tau sweep, chosen on the evaluated '
                     'set')
    table = side_by_side_table({m: by_mode[m] for m in chosen})
    sweep_table = side_by_side_table({m: by_mode[m] for m in ['orig'] + norcal_modes +
                                      tau_modes}) if sweep_gamma or sweep_tau else ''
    result = dict(table=table, sweep_table=sweep_table, metrics=by_mode, methods=chosen,
                  notes=notes, timings=timings)
    if plot:
        from mmdet.visualization import plot_ap_vs_frequency
        series = {m: tables[m] for m in chosen if Path(tables[m]).is_file()}
        if series:
            result['plot'] = plot_ap_vs_frequency(series, str(work / 'ap_vs_frequency.png'))
    atomic_write_text(str(work / RESULTS_FILE), json.dumps(result, indent=1))
    return result
