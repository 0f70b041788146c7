"""Training instance counts and their bins."""
import json

import numpy as np
import pytest

from lvis_api import LVIS, LVISFormatError, load_train_counts
from lvis_api.eval.bins import bin_names, bin_of_categories, bin_ranges

from data_testing import package_data_path
from lvis_testing import write_json


def test_real_v05_train_counts_give_the_simcal_bins():
    """SimCal's v0.5 numbers: 294/453/302/181 categories per bin (the category statistics
    shipped in mmdet/testing/data)."""
    path = package_data_path('lvis_v0.5_train_categories.json')
    counts = load_train_counts(path)  # no annotations: the instance_count fields
    assert len(counts) == 1230
    bins = bin_of_categories(sorted(counts), counts, (0, 10, 100, 1000))
    assert np.bincount(bins).tolist() == [294, 453, 302, 181]


def test_sources_agree(tmp_path):
    cats = [{'id': 1, 'instance_count': 99}, {'id': 2, 'instance_count': 99}, {'id': 3}]
    anns = [{'id': i, 'image_id': 1, 'category_id': 1 + (i % 2)} for i in range(7)]
    data = {'images': [{'id': 1}], 'categories': cats, 'annotations': anns}
    expected = {1: 4, 2: 3, 3: 0}  # the annotations win over instance_count
    assert load_train_counts(write_json(tmp_path / 'train.json', data)) == expected
    assert load_train_counts(LVIS(data)) == expected
    assert load_train_counts(data) == expected
    assert load_train_counts(write_json(tmp_path / 'c.json', {'1': 4, '2': 3})) == {1: 4, 2: 3}
    with pytest.raises(LVISFormatError, match=r'categories\[2\] has no "instance_count"'):
        load_train_counts({'categories': cats, 'annotations': []})
    with pytest.raises(LVISFormatError, match='holds no training instances'):
        load_train_counts({'categories': [{'id': 1}], 'annotations': []})
    data['annotations'].append({'id': 99, 'image_id': 1, 'category_id': 7})
    assert load_train_counts(data) == expected  # an unknown category id is not counted
    with pytest.raises(LVISFormatError, match=r'c\.json: expected an LVIS annotation object'):
        load_train_counts(write_json(tmp_path / 'c.json', [1, 2]))


def test_bins_and_names():
    counts = {1: 0, 2: 9, 3: 10, 4: 999, 5: 1000, 6: 10 ** 6}
    assert bin_of_categories([1, 2, 3, 4, 5, 6, 7], counts, (0, 10, 100, 1000)).tolist() == \
        [0, 0, 1, 2, 3, 3, 0]
    assert bin_of_categories([2, 3], counts, (5, 50)).tolist() == [0, 0]
    assert bin_of_categories([1], counts, (5, 50)).tolist() == [-1]
    assert bin_names((0, 10)) == ['AP1', 'AP2']
    assert bin_ranges((0, 10, 100, 1000)) == ['[0,10)', '[10,100)', '[100,1000)', '[1000,inf)']
    with pytest.raises(ValueError):
        bin_of_categories([1], counts, (10, 5))
