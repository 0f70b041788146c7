"""CocoMetric on the toy data in COCO format: pycocotools' COCOeval numbers on the result
files it writes, AP 1 for the ground truth, the training-count bins as config keys, and
the LVIS metric's refusal of COCO files naming the way out."""
import json
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from lvis_api import LVISFormatError, load_train_counts
from lvis_api.eval.bins import bin_of_categories
from mmdet.evaluation import CocoMetric, LVISMetric
from mmdet.testing import make_toy_lvis
from mmdet.testing.toy_lvis import write_coco_annotations

from metric_testing import evaluate, gt_samples, perturb

STATS_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR@1', 'AR@10', 'AR@100',
              'ARs@100', 'ARm@100', 'ARl@100')


@pytest.fixture(scope='module')
def toy_coco(tmp_path_factory):
    paths = make_toy_lvis(tmp_path_factory.mktemp('toy'), num_classes=16,
                          num_train_images=30, num_val_images=12, image_size=(96, 96),
                          seed=1, lvis_stats_file=False)
    paths = write_coco_annotations(paths, crowd_fraction=0.15, seed=1)
    val = json.loads(Path(paths['coco_val_ann_file']).read_text())
    assert any(a['iscrowd'] for a in val['annotations'])
    assert 'neg_category_ids' not in val['images'][0]
    return paths, val


def test_equals_pycocotools_on_its_result_files(toy_coco, tmp_path):
    paths, val = toy_coco
    prefix = tmp_path / 'dets'
    metric = CocoMetric(ann_file=paths['coco_val_ann_file'], outfile_prefix=str(prefix))
    results = evaluate(metric, gt_samples(val, perturb, seed=2))
    for iou_type in ('bbox', 'segm'):
        gt = COCO(paths['coco_val_ann_file'])
        theirs = COCOeval(gt, gt.loadRes(f'{prefix}.{iou_type}.json'), iou_type)
        theirs.evaluate()
        theirs.accumulate()
        theirs.summarize()
        assert 0.05 < theirs.stats[0] < 0.99  # something to rank
        ours = np.array([results[f'coco/{iou_type}_{key}'] for key in STATS_KEYS])
        np.testing.assert_array_equal(ours, theirs.stats)


def test_ground_truth_scores_one_and_crowds_are_ignored(toy_coco):
    paths, val = toy_coco
    results = evaluate(CocoMetric(ann_file=paths['coco_val_ann_file']), gt_samples(val))
    for iou_type in ('bbox', 'segm'):
        assert results[f'coco/{iou_type}_AP'] == pytest.approx(1.0)
        assert results[f'coco/{iou_type}_AR@100'] == pytest.approx(1.0)


def test_bins_by_training_count_are_config_keys(toy_coco):
    paths, val = toy_coco
    edges = (1, 3, 6, 12)
    metric = CocoMetric(ann_file=paths['coco_val_ann_file'],
                        train_ann_file=paths['coco_train_ann_file'], bin_edges=edges,
                        metric='bbox')
    results = evaluate(metric, gt_samples(val, perturb, seed=4))
    counts = load_train_counts(paths['coco_train_ann_file'])
    present = sorted({a['category_id'] for a in val['annotations'] if not a['iscrowd']})
    bins = bin_of_categories(present, counts, edges)
    for b in range(4):
        value = results[f'coco/bbox_AP{b + 1}']
        assert (value >= 0) == bool((bins == b).any()), (b, value)
    filled = [results[f'coco/bbox_AP{b + 1}'] for b in range(4) if (bins == b).any()]
    assert results['coco/bbox_bAP'] == pytest.approx(np.mean(filled))
    assert 'coco/bbox_APr' not in results  # COCO sets have no frequency groups


def test_lvis_metric_refuses_coco_files_and_names_the_coco_metric(toy_coco):
    paths, _ = toy_coco
    with pytest.raises(LVISFormatError, match='CocoMetric'):
        LVISMetric(ann_file=paths['coco_val_ann_file']).check_inputs(None, 16)
    CocoMetric(ann_file=paths['coco_val_ann_file']).check_inputs(None, 16)
    with pytest.raises(ValueError, match='16 categories'):
        CocoMetric(ann_file=paths['coco_val_ann_file']).check_inputs(None, 80)
