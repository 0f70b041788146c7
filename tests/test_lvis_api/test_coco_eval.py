"""COCOEval against pycocotools' COCOeval on generated COCO-format problems."""
import copy

import numpy as np
import pytest

from lvis_api import LVIS, COCOEval, LVISEval, LVISFormatError, LVISResults

from lvis_testing import (COCO_STATS_KEYS, assert_same_coco_evaluation, make_coco_problem,
                          run_pycocotools, write_json)


@pytest.mark.parametrize('iou_type', ['bbox', 'segm'])
@pytest.mark.parametrize('seed', range(4))
def test_matches_pycocotools(iou_type, seed, tmp_path):
    gt, dets = make_coco_problem(seed, iou_type=iou_type, with_boxes_in_segm=seed % 2 == 0)
    assert any(a['iscrowd'] for a in gt['annotations'])
    theirs = run_pycocotools(gt, dets, iou_type)
    source = write_json(tmp_path / 'dt.json', dets) if seed % 2 == 0 else copy.deepcopy(dets)
    ours = COCOEval(LVIS(gt), source, iou_type)
    ours.run()
    assert_same_coco_evaluation(ours, theirs)
    assert list(ours.results) == list(COCO_STATS_KEYS)


def test_caps_and_crowds_change_the_numbers():
    """The problem exercises COCO's rules: without the crowd regions, or evaluated with
    LVIS-style arrays, the numbers differ (so the equality above is not vacuous)."""
    gt, dets = make_coco_problem(1, iou_type='bbox')
    ours = COCOEval(LVIS(gt), copy.deepcopy(dets), 'bbox')
    ours.run()
    no_crowd = copy.deepcopy(gt)
    for ann in no_crowd['annotations']:
        ann['iscrowd'] = 0
    other = COCOEval(LVIS(no_crowd), copy.deepcopy(dets), 'bbox')
    other.run()
    assert not np.array_equal(ours.eval['precision'], other.eval['precision'])
    caps = ours.eval['precision'][..., 1:]  # maxDets 10 and 100 differ somewhere
    assert not np.array_equal(caps[..., 0], caps[..., 1])


def test_subsets_and_custom_caps():
    gt, dets = make_coco_problem(5, iou_type='bbox', num_images=16)

    def subset(params):
        params.imgIds = sorted(img['id'] for img in gt['images'])[::2]
        params.catIds = sorted(cat['id'] for cat in gt['categories'])[1:]
        params.maxDets = [1, 5, 50]
        params.areaRng = [[0, 1e10], [0, 20 ** 2], [20 ** 2, 60 ** 2], [60 ** 2, 1e10]]
    theirs = run_pycocotools(gt, dets, 'bbox', params=subset)
    ours = COCOEval(LVIS(gt), copy.deepcopy(dets), 'bbox')
    ours.params.img_ids = sorted(img['id'] for img in gt['images'])[::2]
    ours.params.cat_ids = sorted(cat['id'] for cat in gt['categories'])[1:]
    ours.params.max_dets = [1, 5, 50]
    ours.params.area_rng = [[0, 1e10], [0, 20 ** 2], [20 ** 2, 60 ** 2], [60 ** 2, 1e10]]
    ours.run()
    np.testing.assert_array_equal(ours.eval['precision'], theirs.eval['precision'])
    np.testing.assert_array_equal(ours.eval['recall'], theirs.eval['recall'])
    assert ours.results['AR@5'] == theirs.stats[7]


def test_bin_ap_and_per_category_ap_read_the_largest_cap():
    gt, dets = make_coco_problem(2, iou_type='segm')
    cat_ids = sorted(c['id'] for c in gt['categories'])
    counts = {c: 10 ** (i % 4) for i, c in enumerate(cat_ids)}
    ours = COCOEval(LVIS(gt), copy.deepcopy(dets), 'segm', train_counts=counts,
                    bin_edges=(1, 20, 400, 8000))
    ours.run()
    theirs = run_pycocotools(gt, dets, 'segm')
    prec = theirs.eval['precision'][:, :, :, 0, -1]
    expected = []
    for b, (lo, hi) in enumerate([(1, 20), (20, 400), (400, 8000), (8000, np.inf)]):
        idx = [k for k, c in enumerate(cat_ids) if lo <= counts[c] < hi]
        s = prec[:, :, idx]
        expected.append(np.mean(s[s > -1]) if (s > -1).any() else -1.0)
        assert ours.results[f'AP{b + 1}'] == pytest.approx(expected[-1], abs=1e-12)
    present = [v for v in expected if v > -1]
    assert ours.results['bAP'] == pytest.approx(np.mean(present), abs=1e-12)
    per_cat = ours.per_category_ap()
    for k, cat in enumerate(cat_ids):
        s = prec[:, :, k]
        want = np.mean(s[s > -1]) if (s > -1).any() else -1.0
        assert per_cat[cat] == pytest.approx(want, abs=1e-12)


def test_needs_no_lvis_fields_where_lvis_evaluation_refuses():
    gt, dets = make_coco_problem(3)
    with pytest.raises(LVISFormatError, match='neg_category_ids'):
        LVISEval(LVIS(gt), copy.deepcopy(dets), 'bbox').run()
    capped = LVISResults(LVIS(gt), copy.deepcopy(dets))  # LVIS's 300 per image
    with pytest.raises(ValueError, match='max_dets=-1'):
        COCOEval(LVIS(gt), capped, 'bbox')


def test_summary_names_each_cap(capsys):
    gt, dets = make_coco_problem(4)
    ours = COCOEval(LVIS(gt), copy.deepcopy(dets), 'bbox')
    ours.run()
    ours.print_results()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 12
    assert 'maxDets=  1' in lines[6] and 'maxDets= 10' in lines[7]
    assert 'maxDets=100' in lines[0]
    row = next(r for r in ours.summary_table().splitlines() if r.startswith('| AR@10 '))
    assert [c.strip() for c in row.split('|')][5] == '10'  # the maxDets column
