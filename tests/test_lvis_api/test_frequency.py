"""LVIS's frequency rule (lvis_api/frequency.py)."""
import json
from collections import Counter
from pathlib import Path

import pytest

from lvis_api import FREQUENCY_LABELS, frequency_of_image_count

V05_TRAIN_CATEGORIES = (Path(__file__).resolve().parents[2] /
                        'mmdet/testing/data/lvis_v0.5_train_categories.json')


def test_group_edges():
    counts = (0, 1, 10, 11, 100, 101, 10 ** 6)
    assert [frequency_of_image_count(n) for n in counts] == list('rrrccff')
    assert {frequency_of_image_count(n) for n in counts} == set(FREQUENCY_LABELS)
    with pytest.raises(ValueError, match='negative'):
        frequency_of_image_count(-1)


def test_real_v05_train_frequencies():
    """Every LVIS v0.5 train category's ``frequency`` follows from its ``image_count``."""
    categories = json.loads(V05_TRAIN_CATEGORIES.read_text())['categories']
    assert len(categories) == 1230
    for cat in categories:
        assert frequency_of_image_count(cat['image_count']) == cat['frequency'], cat
    assert Counter(c['frequency'] for c in categories) == dict(r=454, c=461, f=315)
