"""The SimCal test modes (evaluators per mode), the side-by-side report and the plot of
per-class AP against training frequency."""
import csv
import json
from pathlib import Path

import pytest
from mmengine.config import Config

from mmdet.apis.simcal import metrics_by_mode, report_modes, side_by_side_table
from mmdet.apis.test import configure_test_mode
from tool_testing import load_tool

REPO = Path(__file__).resolve().parents[2]
TOY_SIMCAL = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


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
    assert cfg.model.roi_head.inference_mode == 'cal'
    assert cfg.test_evaluator.type == 'LVISMetric'


def test_modes_need_a_simcal_config():
    cfg = Config.fromfile(str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'))
    configure_test_mode(cfg, 'orig')  # a plain detector is its own 'orig'
    with pytest.raises(ValueError, match='--mode dual needs a SimCal config'):
        configure_test_mode(cfg, 'dual')


def test_report(tmp_path):
    metrics = {f'{m}/{iou}_{k}': v for m, v in (('orig', 0.1), ('cal', 0.2), ('dual', 0.3))
               for iou in ('bbox', 'segm') for k in ('AP', 'APr', 'AP1', 'bAP')}
    by_mode = metrics_by_mode(metrics)
    assert by_mode['dual']['segm_AP'] == 0.3 and by_mode['orig']['bbox_AP'] == 0.1
    table = side_by_side_table(by_mode)
    assert '| segm | dual | 30.0 | 30.0 | 30.0 | 30.0 |' in table
    assert 'APc' not in table  # no row has it (e.g. COCO sets: no frequency groups)
    del by_mode['orig']['segm_APr']
    assert '| segm | orig | 10.0 | -    | 10.0 | 10.0 |' in side_by_side_table(by_mode)
    by_mode = metrics_by_mode(metrics)
    report_modes(metrics, str(tmp_path))
    saved = json.loads((tmp_path / 'simcal_modes.json').read_text())
    assert saved['metrics'] == by_mode and saved['table'] == table


def _table(path, rows):
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(('category_id', 'name', 'frequency', 'train_instances', 'bin', 'AP'))
        writer.writerows(rows)
    return str(path)


def test_plot_ap_vs_frequency_from_the_per_class_tables(tmp_path):
    tables = [_table(tmp_path / f'per_class_ap.{mode}.segm.csv',
                     [(k, f'c{k}', 'r', 3 ** k, '', f'{(k + 1) / 20 + d:.6f}')
                      for k in range(9)] + [(9, 'c9', 'f', 5, '', '')])  # no AP: skipped
              for mode, d in (('orig', 0.0), ('dual', 0.1))]
    out = tmp_path / 'plot.png'
    tool = load_tool('tools/analysis/plot_ap_vs_frequency.py')
    tool.main([*tables, '--threshold', '100', '--out', str(out)])
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    from mmdet.visualization.ap_vs_frequency import read_classwise_table, series_name
    assert series_name(tables[1]) == 'dual' and series_name('per_class_ap.segm.csv') == 'lvis'
    counts, aps = read_classwise_table(tables[0])
    assert counts.tolist() == [3 ** k for k in range(9)] and len(aps) == 9
    empty = _table(tmp_path / 'per_class_ap.x.segm.csv', [(1, 'a', 'r', '', '', '0.5')])
    with pytest.raises(ValueError, match='no category with both an AP and a training count'):
        read_classwise_table(empty)
