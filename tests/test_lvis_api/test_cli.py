"""python -m lvis_api.eval"""
import json
import subprocess
import sys

from lvis_api.eval.__main__ import main

from lvis_testing import make_coco_problem, make_problem, run_pycocotools, write_json


def test_cli_prints_the_table(tmp_path, capsys):
    gt, dets = make_problem(0, iou_type='segm')
    gt_path, dt_path = write_json(tmp_path / 'gt.json', gt), write_json(tmp_path / 'dt.json', dets)
    train = write_json(tmp_path / 'train.json', {str(c['id']): 50 for c in gt['categories']})
    out = tmp_path / 'metrics.json'
    assert main([str(gt_path), str(dt_path), '--iou-type', 'segm', '--train-ann', str(train),
                 '--out', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '| AP ' in printed and '| bAP ' in printed and 'ARl@300' in printed
    saved = json.loads(out.read_text())
    assert saved['results']['AP2'] == saved['results']['bAP']  # every category in bin 2
    assert len(saved['per_category_ap']) == len(gt['categories'])
    assert main([str(gt_path), str(dt_path), '--iou-type', 'bbox', '--ap-fixed']) == 0
    assert 'AR@10000/cat' in capsys.readouterr().out


def test_cli_coco_protocol(tmp_path, capsys):
    gt, dets = make_coco_problem(0, iou_type='bbox')
    gt_path, dt_path = write_json(tmp_path / 'gt.json', gt), write_json(tmp_path / 'dt.json', dets)
    out = tmp_path / 'metrics.json'
    assert main([str(gt_path), str(dt_path), '--iou-type', 'bbox', '--coco',
                 '--out', str(out)]) == 0
    assert 'AR@10 ' in capsys.readouterr().out
    theirs = run_pycocotools(gt, dets, 'bbox')
    assert json.loads(out.read_text())['results']['AR@1'] == theirs.stats[6]
    assert main([str(gt_path), str(dt_path), '--iou-type', 'bbox']) == 2  # no LVIS fields
    assert 'neg_category_ids' in capsys.readouterr().err
    assert main([str(gt_path), str(dt_path), '--coco', '--ap-fixed']) == 2


def test_cli_reports_bad_input(tmp_path, capsys):
    gt, dets = make_problem(1)
    dets[2]['category_id'] = 10 ** 6
    gt_path, dt_path = write_json(tmp_path / 'gt.json', gt), write_json(tmp_path / 'dt.json', dets)
    assert main([str(gt_path), str(dt_path), '--iou-type', 'bbox']) == 2
    assert 'dt.json: results[2]' in capsys.readouterr().err


def test_module_entry_point(tmp_path):
    gt, dets = make_problem(2)
    gt_path, dt_path = write_json(tmp_path / 'gt.json', gt), write_json(tmp_path / 'dt.json', dets)
    proc = subprocess.run([sys.executable, '-m', 'lvis_api.eval', str(gt_path), str(dt_path),
                           '--iou-type', 'bbox'], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '| AP50 ' in proc.stdout and 'RuntimeWarning' not in proc.stderr
