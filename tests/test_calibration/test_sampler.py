"""Bi-level class-balanced sampling: (class, image) pairs and the infinite sampler."""
import itertools
from collections import Counter

import numpy as np
import pytest
from scipy.stats import chisquare

from mmdet.calibration import BiLevelClassSampler, ClassImagePairDataset
from mmdet.datasets import LVISDataset
import mmdet.calibration.sampler as sampler_module


@pytest.fixture(scope='module')
def pairs(long_tail_ann):
    base = LVISDataset(ann_file=str(long_tail_ann), data_root='', pipeline=[],
                       filter_cfg=dict(filter_empty_gt=True))
    return ClassImagePairDataset(base)


def draw(sampler, num):
    return list(itertools.islice(iter(sampler), num))


def test_pairs_index_every_image_of_every_class(pairs):
    assert len(pairs) == sum(k + 1 for k in range(9))
    assert list(pairs.classes_with_images) == list(range(9))  # class 9: only a crowd box
    for index in range(len(pairs)):
        label, idx = pairs.pair(index)
        labels = [i['bbox_label'] for i in pairs.dataset.get_data_info(idx)['instances']
                  if not i['ignore_flag']]
        assert label in labels
        assert pairs.get_data_info(index)['drawn_label'] == label
    with pytest.raises(IndexError):
        pairs.pair(len(pairs))


def test_classes_are_drawn_uniformly_and_images_contain_them(pairs):
    sampler = BiLevelClassSampler(pairs, seed=0)
    indices = draw(sampler, 9000)
    drawn = [pairs.pair(i) for i in indices]
    counts = Counter(label for label, _ in drawn)
    assert 9 not in counts  # no non-ignored training instance: never drawn
    assert chisquare([counts[c] for c in range(9)]).pvalue > 1e-3
    for label, idx in set(drawn):
        assert label in pairs.dataset.get_cat_ids(idx)
    # level 2: the images of a class are drawn uniformly too
    images = Counter(idx for label, idx in drawn if label == 8)
    assert len(images) == 9 and chisquare(list(images.values())).pvalue > 1e-3


def test_images_per_class_come_in_groups(pairs):
    sampler = BiLevelClassSampler(pairs, num_classes_per_iter=4, images_per_class=3, seed=1)
    labels = [pairs.pair(i)[0] for i in draw(sampler, 300)]
    groups = np.array(labels).reshape(-1, 3)
    assert (groups == groups[:, :1]).all()
    assert sampler.batch_size_per_rank == 12


def test_seeded_and_independent_per_rank(pairs, monkeypatch):
    first = draw(BiLevelClassSampler(pairs, seed=3), 200)
    assert first == draw(BiLevelClassSampler(pairs, seed=3), 200)
    assert first != draw(BiLevelClassSampler(pairs, seed=4), 200)
    streams = {}
    for rank in (0, 1):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = BiLevelClassSampler(pairs, num_classes_per_iter=16, seed=3)
        assert sampler.batch_size_per_rank == 8
        streams[rank] = draw(sampler, 200)
    assert streams[0] == first  # rank 0 of 2 draws what a single process draws
    assert streams[0] != streams[1]
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (0, 3))
    with pytest.raises(ValueError, match='does not split evenly over 3'):
        BiLevelClassSampler(pairs, num_classes_per_iter=16, seed=0)


def test_class_probability_power(pairs):
    sampler = BiLevelClassSampler(pairs, seed=0, class_prob_power=1.0, count_cap=100)
    counts = Counter(pairs.pair(i)[0] for i in draw(sampler, 20000))
    expected = np.asarray(pairs.instance_counts[:9], float)
    expected = expected / expected.sum() * 20000
    assert chisquare([counts[c] for c in range(9)], expected).pvalue > 1e-3


def test_needs_a_pair_dataset(pairs):
    with pytest.raises(TypeError, match='ClassImagePairDataset'):
        BiLevelClassSampler(pairs.dataset, seed=0)
