"""tools/test.py --mode: evaluators per mode, the side-by-side report, the plot."""
import json
import runpy

import pytest
from mmengine.config import Config

from mmdet.calibration.testing import (configure_test_mode, metrics_by_mode, report_modes,
                                       side_by_side_table)
from simcal_testing import REPO, TOY_SIMCAL


def test_mode_all_makes_one_evaluator_per_mode():
    cfg = Config.fromfile(str(TOY_SIMCAL))
    cfg.test_evaluator.outfile_prefix = 'out/results'
    configure_test_mode(cfg, 'all')
    assert cfg.model.roi_head.inference_mode == 'all'
    fields = [(e['pred_field'], e['prefix'], e['outfile_prefix']) for e in cfg.test_evaluator]
    assert fields == [(f'pred_instances_{m}', m, f'out/results.{m}')
                      for m in ('orig', 'cal', 'dual')]
    cfg = Config.fromfile(str(TOY_SIMCAL))
    configure_test_mode(cfg, 'cal')
    assert cfg.model.roi_head.inference_mode == 'cal' and cfg.test_evaluator.type == 'LVISMetric'


def test_modes_need_a_simcal_config():
    cfg = Config.fromfile(str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'))
    configure_test_mode(cfg, 'orig')  # a plain detector is its own 'orig'
    with pytest.raises(ValueError, match='--mode dual needs a SimCal config'):
        configure_test_mode(cfg, 'dual')


def test_report(tmp_path):
    metrics = {f'{m}/{iou}_{k}': v for m, v in (('orig', 0.1), ('cal', 0.2), ('dual', 0.3))
               for iou in ('bbox', 'segm') for k in ('AP', 'APr', 'AP1', 'bAP')}
    metrics['dual/segm_AP_c0'] = 0.5
    by_mode = metrics_by_mode(metrics)
    assert by_mode['dual']['segm_AP_c0'] == 0.5 and by_mode['orig']['bbox_AP'] == 0.1
    table = side_by_side_table(by_mode)
    assert '| segm | dual | 30.0 | 30.0 | -' in table
    report_modes(metrics, str(tmp_path))
    saved = json.loads((tmp_path / 'simcal_modes.json').read_text())
    assert saved['metrics'] == by_mode and saved['table'] == table


def test_plot_ap_vs_frequency(tmp_path, long_tail_ann):
    results = dict(metrics={m: {f'segm_AP_c{k}': (k + 1) / 20 + d for k in range(9)}
                            for m, d in (('orig', 0.0), ('dual', 0.1))})
    path = tmp_path / 'modes.json'
    path.write_text(json.dumps(results))
    out = tmp_path / 'plot.png'
    script = str(REPO / 'tools/analysis/plot_ap_vs_frequency.py')
    module = runpy.run_path(script)
    module['main']([str(path), '--train-ann', str(long_tail_ann), '--threshold', '100',
                    '--out', str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert module['per_class_ap']({'lvis/bbox_AP_c1': 0.2, 'lvis/bbox_AP': 0.3},
                                  'bbox') == {'lvis': {'c1': 0.2}}
    with pytest.raises(SystemExit, match='no per-class segm AP for cal'):
        module['main']([str(path), '--train-ann', str(long_tail_ann), '--modes', 'cal',
                        '--out', str(out)])
