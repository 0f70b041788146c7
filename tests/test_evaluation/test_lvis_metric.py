"""Tests of the LVIS metric (mmdet/evaluation/lvis_metric.py) on toy LVIS data.

Ground truth fed back as predictions must score AP = 1; the bin and frequency-group
entries present are worked out by hand from the annotation files; one perturbed case is
checked against the official ``lvis`` package (a test-time reference only).
"""
import copy
import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from lvis_api import LVIS, LVISEval, LVISResults
from mmdet.testing import make_toy_lvis
from mmdet.datasets.transforms import segmentation_to_mask
from lvis_api import load_train_counts
from mmdet.evaluation import LVISMetric
from mmdet.evaluation.metrics.lvis_detections import rounded_boxes
from mmdet.structures.rle import encode_rle

from metric_testing import evaluate as _evaluate, gt_samples as _samples, perturb as _perturb

OFFICIAL_KEYS = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf',
                 'AR@300', 'ARs@300', 'ARm@300', 'ARl@300')
BIN_EDGES = (0, 10, 100, 1000)


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    paths = make_toy_lvis(tmp_path_factory.mktemp('toy'), num_classes=16,
                          num_train_images=30, num_val_images=10, image_size=(64, 64),
                          seed=0, lvis_stats_file=False)
    val = json.loads(Path(paths['val_ann_file']).read_text())
    train = json.loads(Path(paths['train_ann_file']).read_text())
    return paths, val, train


def _expected_present(val, train):
    """By hand: which frequency groups and training-count bins have val ground truth."""
    present = {a['category_id'] for a in val['annotations']}
    freq = {c['id']: c['frequency'] for c in val['categories']}
    counts = Counter(a['category_id'] for a in train['annotations'])
    groups = {f'AP{f}': any(freq[c] == f for c in present) for f in 'rcf'}
    bins = {}
    for b, lo in enumerate(BIN_EDGES):
        hi = BIN_EDGES[b + 1] if b + 1 < len(BIN_EDGES) else math.inf
        bins[f'AP{b + 1}'] = any(lo <= counts.get(c, 0) < hi for c in present)
    return present, groups, bins


def test_ground_truth_as_predictions_scores_one(toy):
    paths, val, train = toy
    metric = LVISMetric(ann_file=paths['val_ann_file'], train_ann_file=paths['train_ann_file'])
    results = _evaluate(metric, _samples(val))
    present, groups, bins = _expected_present(val, train)
    assert any(bins.values()) and not all(bins.values())  # the case tests both outcomes
    for iou_type in ('bbox', 'segm'):
        for key in ('AP', 'AP50', 'AP75', 'AR@300'):
            assert results[f'lvis/{iou_type}_{key}'] == pytest.approx(1.0, abs=1e-12), key
        for key, has_gt in {**groups, **bins}.items():
            expected = 1.0 if has_gt else -1.0
            assert results[f'lvis/{iou_type}_{key}'] == pytest.approx(expected, abs=1e-12), key
        assert results[f'lvis/{iou_type}_bAP'] == pytest.approx(1.0, abs=1e-12)
    assert all(np.isfinite(v) for v in results.values())


def test_bin_aps_only_with_train_ann_file(toy):
    paths, val, _ = toy
    results = _evaluate(LVISMetric(ann_file=paths['val_ann_file'], metric='bbox'),
                        _samples(val))
    assert 'lvis/bbox_AP' in results and 'lvis/segm_AP' not in results
    assert not any(k.endswith(('_AP1', '_AP2', '_AP3', '_AP4', '_bAP')) for k in results)


def test_custom_bin_edges(toy):
    paths, val, train = toy
    counts = Counter(a['category_id'] for a in train['annotations'])
    present = {a['category_id'] for a in val['annotations']}
    edge = sorted(counts[c] for c in present)[len(present) // 2]  # splits the classes
    metric = LVISMetric(ann_file=paths['val_ann_file'], metric='bbox',
                        train_ann_file=paths['train_ann_file'], bin_edges=(0, edge))
    results = _evaluate(metric, _samples(val))
    assert results['lvis/bbox_AP1'] == pytest.approx(1.0)
    assert results['lvis/bbox_AP2'] == pytest.approx(1.0)
    assert 'lvis/bbox_AP3' not in results


def test_per_class_ap_with_classwise(toy, tmp_path):
    """The per-category APs go to a table in the given folder, not into the metrics."""
    import csv
    paths, val, train = toy
    cats = {c['id']: c for c in val['categories']}
    present = {a['category_id'] for a in val['annotations']}
    counts = Counter(a['category_id'] for a in train['annotations'])
    with pytest.raises(ValueError, match='classwise_dir'):
        LVISMetric(ann_file=paths['val_ann_file'], classwise=True)
    results = _evaluate(LVISMetric(ann_file=paths['val_ann_file'], metric='segm',
                                   train_ann_file=paths['train_ann_file'], classwise=True,
                                   classwise_dir=str(tmp_path)), _samples(val))
    assert not any(k.startswith('lvis/segm_AP_') for k in results)
    with open(tmp_path / 'per_class_ap.segm.csv', newline='') as f:
        rows = list(csv.DictReader(f))
    assert [int(r['category_id']) for r in rows] == sorted(cats)
    for row in rows:
        cat_id = int(row['category_id'])
        assert row['name'] == cats[cat_id]['name']
        assert row['frequency'] == cats[cat_id]['frequency']
        assert int(row['train_instances']) == counts[cat_id]
        assert row['bin'] == f'AP{sum(counts[cat_id] >= e for e in BIN_EDGES)}'
        assert row['AP'] == ('1.000000' if cat_id in present else '')
    prefixed = LVISMetric(ann_file=paths['val_ann_file'], metric='bbox', classwise=True,
                          classwise_dir=str(tmp_path), prefix='dual')
    _evaluate(prefixed, _samples(val))
    assert (tmp_path / 'per_class_ap.dual.bbox.csv').is_file()


def test_format_only_writes_lvis_json(toy, tmp_path):
    paths, val, _ = toy
    prefix = tmp_path / 'out' / 'results'
    metric = LVISMetric(ann_file=paths['val_ann_file'], format_only=True,
                        outfile_prefix=str(prefix))
    assert _evaluate(metric, _samples(val)) == {}
    gt = LVIS(paths['val_ann_file'])
    anns = sorted(val['annotations'], key=lambda a: (a['image_id'], a['id']))
    for iou_type in ('bbox', 'segm'):
        path = Path(f'{prefix}.{iou_type}.json')
        dets = json.loads(path.read_text())
        assert len(dets) == len(anns)
        for det, ann in zip(sorted(dets, key=lambda d: d['image_id']), anns):
            assert det['image_id'] == ann['image_id']
            assert det['category_id'] == ann['category_id']
            assert det['bbox'] == pytest.approx(ann['bbox'])
            assert det['score'] == 1.0
            if iou_type == 'segm':
                img = gt.imgs[ann['image_id']]
                assert det['segmentation']['size'] == [img['height'], img['width']]
                assert isinstance(det['segmentation']['counts'], str)
                np.testing.assert_array_equal(
                    mask_utils.decode(det['segmentation']),
                    segmentation_to_mask(ann['segmentation'], img['height'], img['width']))
            else:
                assert 'segmentation' not in det
        assert len(LVISResults(gt, str(path))) == len(anns)
    assert sorted(p.name for p in prefix.parent.iterdir()) == [
        'results.bbox.json', 'results.segm.json']  # no temporary files left


def test_format_only_needs_a_prefix_and_metrics_are_checked(toy):
    paths, _, _ = toy
    with pytest.raises(ValueError, match='outfile_prefix'):
        LVISMetric(ann_file=paths['val_ann_file'], format_only=True)
    with pytest.raises(KeyError, match='proposal'):
        LVISMetric(ann_file=paths['val_ann_file'], metric='proposal')


def test_segm_needs_predicted_masks(toy):
    paths, val, _ = toy
    samples = _samples(val)[:1]
    del samples[0]['pred_instances']['masks']
    with pytest.raises(KeyError, match='masks'):
        LVISMetric(ann_file=paths['val_ann_file']).process({}, samples)
    LVISMetric(ann_file=paths['val_ann_file'], metric='bbox').process({}, samples)


def test_empty_predictions_are_well_defined(toy, tmp_path):
    paths, val, train = toy
    _, groups, bins = _expected_present(val, train)

    def nothing(rng, boxes, labels, masks, scores):
        return boxes[:0], labels[:0], masks[:0], scores[:0]
    metric = LVISMetric(ann_file=paths['val_ann_file'], train_ann_file=paths['train_ann_file'],
                        outfile_prefix=str(tmp_path / 'empty'))
    for results in (_evaluate(metric, _samples(val, nothing)),
                    LVISMetric(ann_file=paths['val_ann_file'],
                               train_ann_file=paths['train_ann_file']).compute_metrics([])):
        for iou_type in ('bbox', 'segm'):
            prefix = 'lvis/' if 'lvis/bbox_AP' in results else ''
            get = lambda key: results[f'{prefix}{iou_type}_{key}']  # noqa: E731
            assert get('AP') == 0.0 and get('AR@300') == 0.0 and get('bAP') == 0.0
            for key, has_gt in {**groups, **bins}.items():
                assert get(key) == (0.0 if has_gt else -1.0), key
        assert all(np.isfinite(v) for v in results.values())
    assert json.loads((tmp_path / 'empty.segm.json').read_text()) == []


def _spread_val(val):
    """The toy val split with images (and their objects) scaled by 1, 3 or 6, so that
    there are small, medium and large objects, and the categories spread over the three
    frequency groups (the 30 toy training images make every class rare)."""
    val = copy.deepcopy(val)
    images = sorted(val['images'], key=lambda im: im['id'])
    scale = {img['id']: (1, 3, 6)[i % 3] for i, img in enumerate(images)}
    for img in images:
        img['width'] *= scale[img['id']]
        img['height'] *= scale[img['id']]
    sizes = {img['id']: (img['height'], img['width']) for img in images}
    for ann in val['annotations']:
        s = scale[ann['image_id']]
        ann['segmentation'] = [[v * s for v in poly] for poly in ann['segmentation']]
        rle = mask_utils.merge(mask_utils.frPyObjects(ann['segmentation'],
                                                      *sizes[ann['image_id']]))
        ann['area'] = int(mask_utils.area(rle))
        ann['bbox'] = mask_utils.toBbox(rle).tolist()
    for i, cat in enumerate(sorted(val['categories'], key=lambda c: c['id'])):
        cat['frequency'] = 'rcf'[i % 3]
    return val


def test_same_values_as_the_official_lvis_package(toy, official, tmp_path):
    val = _spread_val(toy[1])
    ann_file = tmp_path / 'val_spread.json'
    ann_file.write_text(json.dumps(val))
    prefix = tmp_path / 'dets'
    metric = LVISMetric(ann_file=str(ann_file), outfile_prefix=str(prefix))
    results = _evaluate(metric, _samples(val, _perturb, seed=3))
    for iou_type in ('bbox', 'segm'):  # a case with something to rank in every entry
        for key in ('AP', 'APs', 'APm', 'APl', 'APr', 'APc', 'APf'):
            assert 0.05 < results[f'lvis/{iou_type}_{key}'] < 0.99, (iou_type, key)
    for iou_type in ('bbox', 'segm'):
        gt = official.LVIS(str(ann_file))
        dt = official.LVISResults(gt, f'{prefix}.{iou_type}.json')
        evaluator = official.LVISEval(gt, dt, iou_type)
        evaluator.run()
        for key in OFFICIAL_KEYS:
            assert results[f'lvis/{iou_type}_{key}'] == pytest.approx(
                evaluator.results[key], abs=1e-9), (iou_type, key)


# ------------------------------------------- result shards vs the in-memory computation
def _in_memory_reference(samples, ann_file, train_ann_file=None, metrics=('bbox', 'segm')):
    """The previous computation: every image kept in memory, one dict per detection
    (boxes rounded to 3 decimals), ``LVISResults`` of the dict lists. Returns the result
    file texts and the metrics."""
    gt = LVIS(str(ann_file))
    cat_ids = gt.get_cat_ids()
    dets = {m: [] for m in metrics}
    for sample in samples:
        pred = sample['pred_instances']
        boxes = pred['bboxes'].numpy().astype(np.float64)
        boxes[:, 2:] -= boxes[:, :2]
        masks = encode_rle(pred['masks'].to_bitmap())
        for i in range(len(boxes)):
            det = dict(image_id=sample['img_id'], category_id=cat_ids[int(pred['labels'][i])],
                       bbox=[round(float(v), 3) for v in boxes[i]],
                       score=float(pred['scores'][i]))
            if 'bbox' in dets:
                dets['bbox'].append(det)
            if 'segm' in dets:
                dets['segm'].append(dict(det, segmentation=masks[i]))
    train_counts = load_train_counts(train_ann_file) if train_ann_file else None
    results = {}
    for metric, metric_dets in dets.items():
        evaluator = LVISEval(gt, LVISResults(gt, metric_dets), metric, train_counts=train_counts)
        evaluator.run()
        results.update({f'lvis/{metric}_{k}': float(v) for k, v in evaluator.results.items()})
    return {m: json.dumps(d) for m, d in dets.items()}, results


def _spread_problem(toy, tmp_path):
    val = _spread_val(toy[1])
    ann_file = tmp_path / 'val_spread.json'
    ann_file.write_text(json.dumps(val))
    return val, ann_file


def test_same_files_and_metrics_as_the_in_memory_computation(toy, tmp_path):
    val, ann_file = _spread_problem(toy, tmp_path)
    train_ann_file = toy[0]['train_ann_file']
    samples = _samples(val, _perturb, seed=5)
    texts, expected = _in_memory_reference(samples, ann_file, train_ann_file)
    shard_dir = tmp_path / 'work' / 'result_shards'
    metric = LVISMetric(ann_file=str(ann_file), train_ann_file=train_ann_file,
                        outfile_prefix=str(tmp_path / 'out' / 'results'),
                        shard_dir=str(shard_dir))
    metric.process({}, samples[:4])
    metric.process({}, samples[4:])
    assert len(list(shard_dir.iterdir())) == 1  # one shard file for this rank
    # the sampler's padding (duplicates past the dataset size) is dropped
    metric.process({}, samples[:2])
    results = metric.evaluate(len(samples))
    assert results == expected
    for iou_type in ('bbox', 'segm'):
        assert (tmp_path / 'out' / f'results.{iou_type}.json').read_text() == texts[iou_type]
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'results.bbox.json', 'results.segm.json']
    assert not shard_dir.exists()  # the shards are removed after evaluation
    # a second evaluation by the same metric (validation during training) starts afresh
    metric.process({}, samples)
    assert metric.evaluate(len(samples)) == expected


def test_boxes_are_rounded_by_pythons_round():
    """As the result files always were: ``round(v, 3)`` (exact), not ``np.round``."""
    boxes = np.array([[3.3065, 145.8995, 108.7255, 0.0004999]])
    assert rounded_boxes(boxes) == [[3.307, 145.899, 108.725, 0.0]]
    assert rounded_boxes(np.zeros((0, 4))) == []


def test_evaluation_leaves_torchs_thread_count_as_it_was(toy):
    """The evaluation's parallel kernels share the OpenMP runtime with torch: a training
    run that evaluates must keep summing its convolutions on its own thread count."""
    paths, val, _ = toy
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _evaluate(LVISMetric(ann_file=paths['val_ann_file'], metric='bbox'), _samples(val))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
