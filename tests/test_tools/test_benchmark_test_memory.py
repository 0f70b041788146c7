"""tools/analysis/benchmark_test_memory.py on a few images: each keeps 300 detections,
and the tools/test.py run it measures writes the files of the in-memory computation."""
import glob
import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from lvis_api import LVIS, LVISEval, LVISResults, load_train_counts
from tool_testing import load_tool

NUM_IMAGES = 5  # batches of 2: the last one is short


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis/benchmark_test_memory.py')


@pytest.fixture(scope='module')
def bench(tool, tmp_path_factory):
    work = tmp_path_factory.mktemp('bench')
    rows = tool.main(['--num-images', str(NUM_IMAGES), '--num-classes', '8',
                      '--batch-size', '2', '--work-dir', str(work)])
    return work, rows


def test_rows_report_300_detections_per_image(tool, bench):
    work, rows = bench
    assert len(rows) == 1
    row = rows[0]
    assert row['version'] == 'current' and row['images'] == NUM_IMAGES
    assert row['dets_per_image'] == 300 and row['min_dets_per_image'] == 300
    assert 0 < row['rss_10pct_mib'] <= row['peak_loop_mib'] <= row['peak_mib']
    assert row['loop_images_per_s'] > 0 and 0 < row['after_loop_s'] < row['wall_s']
    header, line = tool.table(rows).splitlines()
    assert header.split()[:3] == ['version', 'images', 'dets/img']
    assert line.split()[:3] == ['current', str(NUM_IMAGES), '300.0']


def _previous_detections(dumped, cat_ids):
    """The result files as the in-memory LVISMetric wrote them, from the --out pickle."""
    out = {'bbox': [], 'segm': []}
    for image in dumped:
        pred = image['pred_instances']
        boxes = pred['bboxes'].astype(np.float64)
        boxes[:, 2:] -= boxes[:, :2]
        for i in range(len(boxes)):
            det = dict(image_id=image['img_id'], category_id=cat_ids[pred['labels'][i]],
                       bbox=[round(float(v), 3) for v in boxes[i]],
                       score=float(pred['scores'][i]))
            out['bbox'].append(det)
            out['segm'].append(dict(det, segmentation=pred['masks'][i]))
    return out


def test_the_measured_run_matches_the_in_memory_computation(bench):
    work, _ = bench
    run = work / f'current_first{NUM_IMAGES}'
    assert not (run / 'result_shards').exists()  # removed after evaluation
    ann_file = str(work / f'val_first{NUM_IMAGES}.json')
    gt = LVIS(ann_file)
    with open(run / 'results.pkl', 'rb') as f:
        dumped = pickle.load(f)
    assert [d['img_id'] for d in dumped] == gt.get_img_ids()
    expected = _previous_detections(dumped, gt.get_cat_ids())
    train_counts = load_train_counts(str(work / 'data' / 'annotations' / 'lvis_toy_train.json'))
    logs = sorted(glob.glob(str(run / '*' / '*.json')))
    metrics = json.loads(Path(logs[-1]).read_text().strip().splitlines()[-1])
    for iou_type, dets in expected.items():
        assert (run / f'results.{iou_type}.json').read_text() == json.dumps(dets)
        evaluator = LVISEval(gt, LVISResults(gt, dets), iou_type, train_counts=train_counts)
        evaluator.run()
        for key in ('AP', 'APr', 'AR@300', 'bAP'):
            assert metrics[f'lvis/{iou_type}_{key}'] == pytest.approx(
                evaluator.results[key], abs=1e-4), (iou_type, key)  # the log rounds
