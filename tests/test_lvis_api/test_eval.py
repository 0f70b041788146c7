"""LVISEval against the official lvis 0.5.3 package on generated problems."""
import copy

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from lvis_api import LVIS, LVISEval, LVISResults

from lvis_testing import OFFICIAL_KEYS, assert_same_evaluation, run_official, write_json


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
@pytest.mark.parametrize('seed', range(4))
def test_matches_official(official, problem_factory, iou_type, seed, tmp_path):
    gt, dets = problem_factory(seed, iou_type=iou_type, with_boxes_in_segm=seed % 2 == 0)
    theirs = run_official(official, gt, dets, iou_type)
    # results from a file (numba scanner) on even seeds, from a list on odd ones
    source = write_json(tmp_path / 'dt.json', dets) if seed % 2 == 0 else copy.deepcopy(dets)
    ours = LVISEval(LVIS(gt), source, iou_type)
    ours.run()
    assert_same_evaluation(ours, theirs)
    assert list(ours.results) == list(theirs.results)


def test_segm_with_polygon_uncompressed_and_missized_masks(official, problem_factory, tmp_path):
    """Box results whose masks are polygons, uncompressed RLEs, RLEs of another size than
    the image (pycocotools: IoU -1) or absent (the box polygon)."""
    gt, dets = problem_factory(12, iou_type='segm')
    imgs = {img['id']: img for img in gt['images']}
    for i, det in enumerate(dets):
        x, y, w, h = det['bbox']
        img = imgs[det['image_id']]
        kind = i % 5
        if kind == 0:
            det['segmentation'] = [[x, y, x + w, y, x + w / 2, y + h]]
        elif kind == 1:
            flat = mask_utils.decode(det['segmentation']).ravel(order='F')
            edges = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [len(flat)]])
            counts = ([0] if flat[0] else []) + np.diff(edges).tolist()
            det['segmentation'] = {'size': [img['height'], img['width']], 'counts': counts}
        elif kind == 2:
            rle = mask_utils.frPyObjects([[x, y, x + w, y, x + w, y + h, x, y + h]],
                                         img['height'] + 3, img['width'])[0]
            det['segmentation'] = {'size': rle['size'], 'counts': rle['counts'].decode()}
        elif kind == 3:
            del det['segmentation']
    theirs = run_official(official, gt, dets, 'segm')
    for source in (copy.deepcopy(dets), write_json(tmp_path / 'dt.json', dets)):
        ours = LVISEval(LVIS(gt), source, 'segm')
        ours.run()
        assert_same_evaluation(ours, theirs)


def test_annotation_id_zero_never_counts_as_match(official, problem_factory):
    """The official code stores matched ids and tests them for truth: a ground truth with
    id 0 makes its match a false positive."""
    gt, dets = problem_factory(7, zero_id=True)
    theirs = run_official(official, gt, dets, 'bbox')
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    ours.run()
    assert_same_evaluation(ours, theirs)


def test_equal_iou_ties_go_to_the_last_ground_truth(official):
    """Two identical boxes (ids 0 and 5): the official loop keeps the last of equal IoUs,
    so the detection takes id 5 and is a true positive."""
    image = {'id': 1, 'height': 50, 'width': 50, 'neg_category_ids': [],
             'not_exhaustive_category_ids': []}
    anns = [{'id': i, 'image_id': 1, 'category_id': 1, 'bbox': [5, 5, 20, 20], 'area': 400,
             'segmentation': [[5, 5, 25, 5, 25, 25, 5, 25]]} for i in (0, 5)]
    gt = {'images': [image], 'annotations': anns,
          'categories': [{'id': 1, 'name': 'a', 'frequency': 'f'}]}
    dets = [{'image_id': 1, 'category_id': 1, 'bbox': [5, 5, 20, 20], 'score': .9}]
    theirs = run_official(official, gt, dets, 'bbox')
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    ours.run()
    assert_same_evaluation(ours, theirs)
    assert ours.results['AP50'] == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize('max_dets', [0, 1, 3])
def test_per_image_cap_with_score_ties(official, problem_factory, max_dets):
    """Which detections survive the cap, ties at the cut included."""
    gt, dets = problem_factory(11, num_images=8)
    if max_dets == 0:
        dets = dets + [{**dets[0], 'image_id': gt['images'][0]['id']}]
    theirs = run_official(official, gt, dets, 'bbox', max_dets=max_dets) if max_dets else None
    ours_dt = LVISResults(LVIS(gt), copy.deepcopy(dets), max_dets=max_dets)
    ours = LVISEval(ours_dt.lvis_gt, ours_dt, 'bbox')
    ours.run()
    if theirs is None:  # official: crash on an empty list; ours: no detections at all
        assert len(ours_dt) == 0 and ours.results['AP'] == 0.0
    else:
        assert_same_evaluation(ours, theirs)


def test_subsets_of_images_and_categories(official, problem_factory):
    gt, dets = problem_factory(3, num_images=14, num_cats=12)
    img_ids = [img['id'] for img in gt['images']][::2]
    cat_ids = sorted(c['id'] for c in gt['categories'])[::-1][:8]  # unsorted on purpose

    def restrict(params):
        params.img_ids, params.cat_ids = list(img_ids), list(cat_ids)

    theirs = run_official(official, gt, dets, 'bbox', params=restrict)
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    restrict(ours.params)
    ours.run()
    assert_same_evaluation(ours, theirs)


def test_custom_area_ranges_and_thresholds(official, problem_factory):
    gt, dets = problem_factory(5)

    def customise(params):
        params.area_rng = [[0, 1e10], [0, 500], [500, 2000], [2000, 1e10]]
        params.iou_thrs = np.array([0.3, 0.5, 0.75])
        params.rec_thrs = np.linspace(0, 1, 11)

    theirs = run_official(official, gt, dets, 'bbox', params=customise)
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    customise(ours.params)
    ours.run()
    assert_same_evaluation(ours, theirs)


def test_empty_results_are_well_defined(official, problem_factory):
    """Official: a crash on []; the same problem with one filtered-out detection is the
    official value of 'no detections'."""
    gt, _ = problem_factory(2)
    image = next(img for img in gt['images'])
    present = {a['category_id'] for a in gt['annotations'] if a['image_id'] == image['id']}
    unseen = next(c['id'] for c in gt['categories']
                  if c['id'] not in present and c['id'] not in image['neg_category_ids'])
    lone = [{'image_id': image['id'], 'category_id': unseen, 'bbox': [1, 1, 5, 5], 'score': .5}]
    theirs = run_official(official, gt, lone, 'bbox')
    for iou_type in ('bbox', 'segm'):
        ours = LVISEval(LVIS(gt), [], iou_type)
        ours.run()
        assert_same_evaluation(ours, theirs)
    assert ours.results['AP'] == 0.0 and ours.results['AR@300'] == 0.0


def test_ap_fixed_matches_master_protocol(official, problem_factory):
    """AP-fixed = the lvis-api master's per-category cap (top-k by score, stable) and no
    per-image cap; the official 0.5.3 evaluates the same set once it is pre-limited."""
    gt, dets = problem_factory(9, num_images=10)
    ours = LVISEval(LVIS(gt), copy.deepcopy(dets), 'bbox', ap_fixed=True)
    ours.lvis_dt = LVISResults(ours.lvis_gt, copy.deepcopy(dets), max_dets=-1, max_dets_per_cat=4)
    ours.run()
    by_cat = {}
    for det in dets:
        by_cat.setdefault(det['category_id'], []).append(det)
    limited = [d for anns in by_cat.values()
               for d in sorted(anns, key=lambda d: d['score'], reverse=True)[:4]]
    theirs = run_official(official, gt, limited, 'bbox', max_dets=-1)
    keys = [k for k in OFFICIAL_KEYS if not k.startswith('AR')]
    assert_same_evaluation(ours, theirs, keys)
    assert ours.results['AR@10000/cat'] == pytest.approx(theirs.results['AR@300'], abs=1e-9)


def test_ap_fixed_keeps_more_than_300_per_image(problem_factory):
    gt, _ = problem_factory(1, num_images=2)
    img_id = gt['images'][0]['id']
    cat = gt['categories'][0]['id']
    dets = [{'image_id': img_id, 'category_id': cat, 'bbox': [1, 1, 3, 3], 'score': i / 400}
            for i in range(400)]
    assert len(LVISResults(LVIS(gt), dets)) == 300
    fixed = LVISEval(LVIS(gt), dets, 'bbox', ap_fixed=True)
    assert len(fixed.lvis_dt) == 400 and fixed.params.max_dets_label == '10000/cat'
    with pytest.raises(ValueError, match='ap_fixed'):
        LVISEval(LVIS(gt), LVISResults(LVIS(gt), dets), 'bbox', ap_fixed=True)


def test_per_category_ap(official, problem_factory):
    gt, dets = problem_factory(4)
    theirs = run_official(official, gt, dets, 'bbox')
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    ours.run()
    per_cat = ours.per_category_ap()
    assert list(per_cat) == sorted(c['id'] for c in gt['categories'])
    precision = theirs.eval['precision'][:, :, :, 0]
    for k, cat_id in enumerate(theirs.params.cat_ids):
        valid = precision[:, :, k][precision[:, :, k] > -1]
        expected = valid.mean() if valid.size else -1.0
        assert per_cat[cat_id] == pytest.approx(expected, abs=1e-12)
    assert per_cat[max(per_cat)] == -1.0  # the category without ground truth


def test_bin_ap(official, problem_factory, tmp_path):
    gt, dets = problem_factory(6, num_cats=12)
    theirs = run_official(official, gt, dets, 'bbox')
    cat_ids = sorted(c['id'] for c in gt['categories'])
    counts = {c: [0, 3, 10, 99, 100, 5000][i % 6] for i, c in enumerate(cat_ids)}
    ours = LVISEval(LVIS(gt), dets, 'bbox', train_counts=counts)
    ours.run()
    precision = theirs.eval['precision'][:, :, :, 0]
    expected = []
    for b, (lo, hi) in enumerate([(0, 10), (10, 100), (100, 1000), (1000, np.inf)]):
        idx = [k for k, c in enumerate(cat_ids) if lo <= counts[c] < hi]
        s = precision[:, :, idx]
        expected.append(s[s > -1].mean() if (s > -1).any() else -1.0)
        assert ours.results[f'AP{b + 1}'] == pytest.approx(expected[-1], abs=1e-12)
    assert ours.results['bAP'] == pytest.approx(np.mean([e for e in expected if e > -1]), abs=1e-12)
    # configurable edges, and the same numbers through a training annotation file
    train = {'images': [], 'categories': gt['categories'],
             'annotations': [{'id': i, 'category_id': c} for c, n in counts.items()
                             for i in range(n)]}
    two_bins = ours.compute_bin_ap(write_json(tmp_path / 'train.json', train), edges=(0, 100))
    assert list(two_bins) == ['AP1', 'AP2', 'bAP']
    low = [k for k, c in enumerate(cat_ids) if counts[c] < 100]
    s = precision[:, :, low]
    assert two_bins['AP1'] == pytest.approx(s[s > -1].mean(), abs=1e-12)


def test_summary_output(problem_factory, capsys):
    gt, dets = problem_factory(0)
    ours = LVISEval(LVIS(gt), dets, 'segm', train_counts={})
    ours.run()
    ours.print_results()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(' Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | '
                               'maxDets=300 catIds=all] = ')
    assert len(lines) == len(ours.results) == 13 + 5
    assert ours.results['AP2'] == -1.0  # every category has 0 training instances: bin 1
    table = ours.summary_table('segm')
    assert 'bAP' in table and '[1000,inf)' in table


def test_requires_evaluate_before_accumulate(problem_factory):
    gt, dets = problem_factory(0)
    ours = LVISEval(LVIS(gt), dets, 'bbox')
    with pytest.raises(RuntimeError):
        ours.accumulate()
    with pytest.raises(ValueError):
        LVISEval(LVIS(gt), dets, 'keypoints')
