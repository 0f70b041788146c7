"""LVIS: loading, indexes and queries as the official API; statistics; input errors."""
import json
from collections import Counter

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from lvis_api import LVIS, LVISFormatError

from lvis_testing import write_json


@pytest.fixture(scope='module')
def val_100_path(test_data):
    return test_data('lvis_v0.5_val_100.json')


def test_queries_match_official(official, val_100_path):
    ours, theirs = LVIS(val_100_path), official.LVIS(str(val_100_path))
    assert ours.get_img_ids() == sorted(theirs.get_img_ids())
    assert ours.get_cat_ids() == sorted(theirs.get_cat_ids())
    img_ids = ours.get_img_ids()[5:9][::-1]
    cat_ids = [a['category_id'] for a in ours.load_anns()[:40]]
    for kwargs in [{}, {'img_ids': img_ids}, {'cat_ids': cat_ids},
                   {'img_ids': img_ids, 'cat_ids': cat_ids, 'area_rng': [100, 5000]}]:
        assert ours.get_ann_ids(**kwargs) == theirs.get_ann_ids(**kwargs)
    assert ours.load_imgs(img_ids) == theirs.load_imgs(img_ids)
    assert ours.load_cats(cat_ids[:3]) == theirs.load_cats(cat_ids[:3])
    ann = ours.load_anns([ours.get_ann_ids()[10]])[0]
    assert ours.ann_to_rle(ann) == theirs.ann_to_rle(ann)
    np.testing.assert_array_equal(ours.ann_to_mask(ann), theirs.ann_to_mask(ann))
    assert ours.cat_img_map == theirs.cat_img_map


def test_rle_inputs():
    img = {'id': 1, 'height': 6, 'width': 5}
    mask = np.zeros((6, 5), np.uint8, order='F')
    mask[1:4, 2:5] = 1
    compressed = mask_utils.encode(mask)
    uncompressed = {'size': [6, 5], 'counts': [13, 3, 3, 3, 3, 3, 2]}
    lvis = LVIS({'images': [img], 'categories': [], 'annotations': []})
    assert lvis.segm_to_rle(compressed, 1) is compressed
    np.testing.assert_array_equal(mask_utils.decode(lvis.segm_to_rle(uncompressed, 1)), mask)


def test_statistics(val_100_path):
    lvis = LVIS(val_100_path)
    anns = lvis.dataset['annotations']
    counts = lvis.instance_counts()
    assert len(counts) == 1230 and sum(counts.values()) == len(anns)
    per_cat = Counter(a['category_id'] for a in anns)
    assert counts == {c: per_cat.get(c, 0) for c in lvis.get_cat_ids()}
    images = lvis.image_counts()
    some = anns[0]['category_id']
    assert images[some] == len({a['image_id'] for a in anns if a['category_id'] == some})
    groups = lvis.frequency_groups()
    assert sorted(len(v) for v in groups.values()) == sorted(
        Counter(c['frequency'] for c in lvis.dataset['categories']).values())


def test_from_dict_is_used_as_is():
    data = {'images': [{'id': 2}, {'id': 1}], 'categories': [{'id': 5}, {'id': 3}],
            'annotations': []}
    lvis = LVIS(data)
    assert lvis.dataset is data and lvis.get_img_ids() == [1, 2] and lvis.get_cat_ids() == [3, 5]


@pytest.mark.parametrize('content, message', [
    ('[1, 2]', r'gt\.json: an LVIS annotation file is a JSON object'),
    ('{"images": [], "categories": []}', r"gt\.json: missing or non-list field 'annotations'"),
    ('{"images": [{"id": 1}, {"id": 1}], "categories": [], "annotations": []}',
     r'gt\.json: images\[1\] repeats id 1'),
    ('{"images": [{"id": 1}], "categories": [], "annotations": [{"id": 1, "category_id": 2}]}',
     r"gt\.json: annotations\[0\] .* has no 'image_id'"),
    ('{"images": [{"id": 1}], "categories": [{"name": "x"}], "annotations": []}',
     r'gt\.json: categories\[0\] .* has no "id"'),
    ('{"images": [', r'gt\.json: malformed JSON'),
])
def test_bad_annotation_files(tmp_path, content, message):
    path = tmp_path / 'gt.json'
    path.write_text(content)
    with pytest.raises(LVISFormatError, match=message):
        LVIS(path)


def test_bad_annotation_fields_for_evaluation(tmp_path):
    data = {'images': [{'id': 1, 'height': 4, 'width': 4}], 'categories': [{'id': 1}],
            'annotations': [{'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [0, 0, 1]}]}
    with pytest.raises(LVISFormatError, match=r"gt\.json: annotations\[0\] .* has no 'area'"):
        LVIS(write_json(tmp_path / 'gt.json', data)).annotation_arrays()
    data['annotations'][0]['area'] = 1
    with pytest.raises(LVISFormatError, match=r'annotations\[0\] has a malformed bbox'):
        LVIS(data).annotation_arrays()
