"""The toy long tail (mmdet/testing/toy_lvis/plan.py)."""
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import mmdet
from lvis_api import DEFAULT_BIN_EDGES, frequency_of_image_count
from lvis_api.eval.bins import bin_of_categories
from mmdet.testing.toy_lvis.plan import (LVIS_STATS_FILE, assign_to_images,
                                         load_long_tail_curve, plan_image_labels,
                                         plan_train_counts, plan_val_counts)


def _bins(instance_counts):
    counts = dict(enumerate(instance_counts))
    return bin_of_categories(list(counts), counts, DEFAULT_BIN_EDGES)


def test_statistics_ship_with_the_package(tmp_path):
    assert Path(mmdet.__file__).parent in LVIS_STATS_FILE.parents
    curve = load_long_tail_curve()
    assert curve.source == LVIS_STATS_FILE.name and len(curve.image_counts) == 1230
    assert (np.diff(curve.quantiles) > 0).all() and (np.diff(curve.image_counts) <= 0).all()
    missing = tmp_path / 'missing.json'
    with pytest.raises(FileNotFoundError, match='missing.json'):
        load_long_tail_curve(missing)


@pytest.mark.parametrize('stats_file', [None, False])
def test_default_size_long_tail(stats_file):
    """At the default size the plan has LVIS's r/c/f shares and spans the SimCal bins."""
    img, inst = plan_train_counts(50, 1500, load_long_tail_curve(stats_file))
    groups = Counter(frequency_of_image_count(n) for n in img)
    for g, lvis_count in zip('rcf', (454, 461, 315)):
        assert abs(groups[g] - 50 * lvis_count / 1230) <= 2
    assert set(_bins(inst)) == {0, 1, 2, 3} and inst.sum() <= 1500 * 6.5
    assert (inst >= img).all() and (np.diff(img) <= 0).all()  # head first
    # assignment keeps the planned groups (it only adds to frequent classes)
    objects = assign_to_images(img, inst, 1500, 10, np.random.default_rng(0))
    assert all(0 < len(o) <= 10 for o in objects)
    counts = Counter(c for o in objects for c in set(o))
    assert [frequency_of_image_count(counts[c]) for c in range(50)] == [
        frequency_of_image_count(n) for n in img]
    # val: flatter, every class, a few instances at least
    val_img, val_inst = plan_val_counts(img, inst, 250)
    assert val_inst.min() >= 3 and (val_img >= 1).all()
    assert val_inst.max() / val_inst.min() < inst.max() / inst.min() / 10


def test_small_budget_compresses_everything():
    img, inst = plan_train_counts(20, 30, load_long_tail_curve(), mean_objects=2)
    assert inst.sum() <= 60 and (img >= 1).all() and (img <= 15).all()


def test_assignment_follows_the_counts():
    img, inst = np.array([6, 3, 1]), np.array([9, 3, 2])
    objects = assign_to_images(img, inst, 8, 3, np.random.default_rng(1))
    assert all(0 < len(o) <= 3 for o in objects)
    assert Counter(c for o in objects for c in set(o)) == {0: 6, 1: 3, 2: 1}
    assert Counter(c for o in objects for c in o) == {0: 9, 1: 3, 2: 2}


def test_image_labels():
    objects = [[0, 0, 1], [2], [1, 1, 1, 3], [0, 2]]
    labels = plan_image_labels(objects, 5, 2, 0.5, np.random.default_rng(0))
    for cls, label in zip(objects, labels):
        assert len(label.negatives) == 2 and not set(label.negatives) & set(cls)
        if label.not_exhaustive:  # some, not all, of a repeated class's instances
            (c,) = label.not_exhaustive
            assert 0 < len(label.unannotated) < cls.count(c)
            assert {cls[j] for j in label.unannotated} == {c}
        else:
            assert not label.unannotated
    assert [bool(lab.not_exhaustive) for lab in labels] == [True, False, True, False]
