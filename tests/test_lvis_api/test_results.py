"""LVISResults: the official kept set, order and ids; queries; input errors."""
import copy
import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from lvis_api import LVIS, LVISEval, LVISFormatError, LVISResults
from lvis_api.results import SegmentationColumnBuilder

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


# ------------------------------------------------------------------ column input
def _columns(dets, with_segm=True):
    """The columns of a result list, masks in a SegmentationColumnBuilder's column."""
    segms = None
    if with_segm and any('segmentation' in d for d in dets):
        builder = SegmentationColumnBuilder()
        for start in range(0, len(dets), 7):  # a few chunks, as image by image
            builder.extend([d.get('segmentation') for d in dets[start:start + 7]])
        segms = builder.build()
    boxes = (np.array([d['bbox'] for d in dets], np.float64).reshape(-1, 4)
             if dets and 'bbox' in dets[0] else None)
    return dict(image_ids=np.array([d['image_id'] for d in dets], np.int64),
                category_ids=np.array([d['category_id'] for d in dets], np.int64),
                scores=np.array([d['score'] for d in dets], np.float64),
                bboxes=boxes, segmentations=segms)


def _ann_key(ann):
    segm = ann['segmentation']
    if isinstance(segm, dict):  # columns give bytes counts, lists str counts
        segm = dict(segm, counts=segm['counts'].decode() if isinstance(segm['counts'], bytes)
                    else segm['counts'])
    return _key(ann) + (json.dumps(segm),)


@pytest.mark.parametrize('iou_type, with_boxes', [('bbox', True), ('segm', True),
                                                  ('segm', False)])
@pytest.mark.parametrize('max_dets', [3, 300])
def test_columns_give_the_results_of_the_list(iou_type, with_boxes, max_dets):
    gt, dets = make_problem(6, num_images=10, iou_type=iou_type, with_boxes_in_segm=with_boxes)
    lvis = LVIS(gt)
    ours = LVISResults.from_columns(lvis, **_columns(dets), max_dets=max_dets,
                                    max_dets_per_cat=5)
    listed = LVISResults(lvis, copy.deepcopy(dets), max_dets=max_dets, max_dets_per_cat=5)
    assert ours.source == '<result columns>'
    assert [_ann_key(a) for a in ours.load_anns()] == [_ann_key(a) for a in listed.load_anns()]
    np.testing.assert_array_equal(ours.areas, listed.areas)
    evals = [LVISEval(lvis, res, iou_type) for res in (ours, listed)]
    for evaluator in evals:
        evaluator.run()
    assert evals[0].results == evals[1].results and evals[0].results['AP'] > 0


def test_empty_columns():
    gt, _ = make_problem(0, num_images=3)
    empty = np.zeros(0, np.int64)
    ours = LVISResults.from_columns(LVIS(gt), empty, empty, np.zeros(0))
    assert len(ours) == 0 and ours.load_anns() == []


def test_bad_columns_are_named(small_gt):
    gt_path, gt, dets = small_gt
    columns = _columns(dets)
    cases = [
        (dict(image_ids=columns['image_ids'] + 0.5), r'image_ids must be a 1-D integer array'),
        (dict(scores=columns['scores'][:-1]), r'columns of different lengths'),
        (dict(bboxes=columns['bboxes'][:, :3]), r'bboxes must be \(\d+, 4\)'),
        (dict(bboxes=None), r'results without bboxes need a segmentation'),
        (dict(image_ids=np.where(np.arange(len(dets)) == 3, 123456, columns['image_ids'])),
         r"<result columns>: results\[3\] \{'image_id': 123456, .* not in the ground truth"),
        (dict(bboxes=np.where(np.arange(len(dets))[:, None] == 2, -1.0, columns['bboxes'])),
         r'results\[2\] .* negative box width or height'),
    ]
    for change, message in cases:
        with pytest.raises(LVISFormatError, match=message):
            LVISResults.from_columns(str(gt_path), **dict(columns, **change))


def test_segmentation_column_builder_keeps_every_kind():
    rle = mask_utils.encode(np.asfortranarray(np.eye(5, dtype=np.uint8)))
    polygon = [[1.0, 1.0, 4.0, 1.0, 4.0, 4.0]]
    uncompressed = {'size': [5, 5], 'counts': [3, 2, 20]}
    extra_key = {'size': [5, 5], 'counts': rle['counts'].decode(), 'note': 'kept'}
    builder = SegmentationColumnBuilder()
    builder.extend([rle, None])
    builder.extend([])
    builder.extend([dict(rle, counts=rle['counts'].decode()), polygon, uncompressed, extra_key])
    column = builder.build()
    assert len(builder) == len(column) == 6
    assert column[0] == {'size': [5, 5], 'counts': rle['counts']} == column[2]
    assert column[1] is None
    assert column[3] == polygon and column[4] == uncompressed and column[5] == extra_key
    with pytest.raises(LVISFormatError, match=r'segmentation 1 .* is not JSON data'):
        SegmentationColumnBuilder().extend([None, {'counts': object()}])
