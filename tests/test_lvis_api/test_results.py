"""LVISResults: the official kept set, order and ids; queries; input errors."""
import copy
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from lvis_api import LVIS, LVISFormatError, LVISResults

from lvis_testing import make_problem, write_json


def _official_results(official, gt, dets, max_dets):
    lvis_gt = official.LVIS.__new__(official.LVIS)
    lvis_gt.dataset, lvis_gt.logger = copy.deepcopy(gt), official.lvis.logging.getLogger()
    lvis_gt._create_index()
    return official.LVISResults(lvis_gt, copy.deepcopy(dets), max_dets=max_dets)


def _key(ann):
    return ann['id'], ann['image_id'], ann['category_id'], ann['score'], ann['bbox'], ann['area']


@pytest.mark.parametrize('max_dets', [2, 5, 300, -1])
def test_kept_detections_order_and_ids_match_official(official, max_dets):
    gt, dets = make_problem(1, num_images=10)
    theirs = _official_results(official, gt, dets, max_dets)
    ours = LVISResults(LVIS(gt), copy.deepcopy(dets), max_dets=max_dets)
    assert [_key(a) for a in ours.load_anns()] == [_key(a) for a in theirs.load_anns()]
    images, cats = [img['id'] for img in gt['images']], [c['id'] for c in gt['categories']]
    for img_ids, cat_ids, area_rng in [(images[1::-1], None, None), (None, cats[:4], None),
                                       (images[2:3], cats, [10, 900])]:
        assert (ours.get_ann_ids(img_ids=img_ids, cat_ids=cat_ids, area_rng=area_rng)
                == theirs.get_ann_ids(img_ids=img_ids, cat_ids=cat_ids, area_rng=area_rng))
    img_id = gt['images'][0]['id']
    assert ([a['id'] for a in ours.get_top_results(img_id, 0.5)]
            == [a['id'] for a in theirs.get_top_results(img_id, 0.5)])


def test_per_category_cap_matches_master():
    """lvis-api master: categories in order of first appearance, each sorted by score
    (stable) and cut at max_dets_per_cat, after the per-image cap."""
    gt, dets = make_problem(2, num_images=10)
    ours = LVISResults(LVIS(gt), dets, max_dets=4, max_dets_per_cat=3)
    per_image = {}
    for det in dets:
        per_image.setdefault(det['image_id'], []).append(det)
    capped = [d for anns in per_image.values()
              for d in (sorted(anns, key=lambda d: d['score'], reverse=True)[:4]
                        if len(anns) > 4 else anns)]
    by_cat = {}
    for det in capped:
        by_cat.setdefault(det['category_id'], []).append(det)
    expected = [d for anns in by_cat.values()
                for d in sorted(anns, key=lambda d: d['score'], reverse=True)[:3]]
    got = ours.load_anns()
    assert [(a['image_id'], a['category_id'], a['score'], a['bbox']) for a in got] == \
        [(d['image_id'], d['category_id'], d['score'], d['bbox']) for d in expected]


def test_mask_results_area_box_and_rle_match_official(official):
    gt, dets = make_problem(3, num_images=6, iou_type='segm', with_boxes_in_segm=False)
    theirs = _official_results(official, gt, dets, 300)
    ours = LVISResults(LVIS(gt), copy.deepcopy(dets))
    assert ours.bboxes is None
    for a, b in zip(ours.load_anns(), theirs.load_anns()):
        assert (a['id'], a['area'], a['score']) == (b['id'], float(b['area']), b['score'])
        np.testing.assert_array_equal(a['bbox'], b['bbox'])
    np.testing.assert_array_equal(ours.boxes, np.array([b['bbox'] for b in theirs.load_anns()]))
    rle = ours.segm_rle(0)
    assert mask_utils.area(rle) == ours.areas[0]


def test_box_results_without_masks_get_the_box_polygon(official):
    gt, dets = make_problem(4, num_images=4)
    theirs = _official_results(official, gt, dets, 300)
    ours = LVISResults(LVIS(gt), dets)
    a, b = ours.load_anns([3])[0], theirs.load_anns([3])[0]
    assert a['segmentation'] == b['segmentation']
    assert ours.segm_rle(2) == theirs.ann_to_rle(theirs.load_anns([3])[0])


def test_empty_results():
    gt, _ = make_problem(0, num_images=3)
    for results in ([], ):
        ours = LVISResults(LVIS(gt), results)
        assert len(ours) == 0 and ours.load_anns() == [] and ours.get_ann_ids() == []


@pytest.fixture
def small_gt(tmp_path):
    gt, dets = make_problem(5, num_images=4)
    return write_json(tmp_path / 'gt.json', gt), gt, dets


@pytest.mark.parametrize('mutate, message', [
    (lambda d: d[3].update(image_id=123456),
     r'dt\.json: results\[3\] .* image_id 123456, which is not in the ground truth'),
    (lambda d: d[2].update(category_id=-7), r'results\[2\] .* category_id -7'),
    (lambda d: d[1].pop('score'), r"results\[1\] .* has no 'score'"),
    (lambda d: d[4].update(bbox=[1, 2, -3, 4]), r'results\[4\] .* negative box width or height'),
    (lambda d: d[0].update(score=float('nan')), r"results\[0\] .* non-finite 'score'"),
    (lambda d: d[2].update(image_id=1.5), r"results\[2\] .* non-integer 'image_id'"),
    (lambda d: d[5].update(bbox=[1, 2, 3]), r'results\[5\] .* malformed bbox'),
    (lambda d: d.__setitem__(1, [1, 2]), r'results\[1\] \[1, 2\] is not an object'),
])
@pytest.mark.parametrize('as_file', [True, False])
def test_bad_results_name_the_file_and_entry(small_gt, tmp_path, mutate, message, as_file):
    gt_path, gt, dets = small_gt
    dets = copy.deepcopy(dets)
    mutate(dets)
    source = write_json(tmp_path / 'dt.json', dets) if as_file else dets
    expected = message if as_file else message.replace(r'dt\.json', r'<results list>')
    with pytest.raises(LVISFormatError, match=expected):
        LVISResults(str(gt_path), source)


def test_malformed_files(small_gt, tmp_path):
    gt_path, gt, dets = small_gt
    bad = tmp_path / 'broken.json'
    bad.write_text(json.dumps(dets)[:-20])
    with pytest.raises(LVISFormatError, match=r'broken\.json: malformed JSON'):
        LVISResults(str(gt_path), bad)
    obj = write_json(tmp_path / 'obj.json', {'results': dets})
    with pytest.raises(LVISFormatError, match=r'obj\.json: results are a JSON list'):
        LVISResults(str(gt_path), obj)
    segm = [{'image_id': gt['images'][0]['id'], 'category_id': gt['categories'][0]['id'],
             'score': .5, 'segmentation': {'size': [10, 10]}}]
    with pytest.raises(LVISFormatError, match=r'results\[0\] has a malformed segmentation'):
        LVISResults(str(gt_path), segm)
