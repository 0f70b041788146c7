"""Bi-level class-balanced sampling: (class, image) pairs and the infinite batch sampler."""
import itertools
from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import InfiniteSampler
from mmengine.runner import Runner
from scipy.stats import chisquare

import mmdet.calibration.sampler as sampler_module
from mmdet.calibration import BiLevelClassBatchSampler, ClassImagePairDataset
from mmdet.datasets import LVISDataset


@pytest.fixture(scope='module')
def pairs(long_tail_ann):
    base = LVISDataset(ann_file=str(long_tail_ann), data_root='', pipeline=[],
                       filter_cfg=dict(filter_empty_gt=True))
    return ClassImagePairDataset(base)


def batches(pairs, seed=0, **kwargs):
    return BiLevelClassBatchSampler(InfiniteSampler(pairs, seed=seed), **kwargs)


def draw(sampler, num):
    """The first ``num`` pair indices of the sampler's batches."""
    return list(itertools.islice(itertools.chain.from_iterable(sampler), num))


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


def test_pairs_take_the_datasets_training_counts(pairs):
    """The class index lists the drawable images; the counts are the one definition
    (every annotation, so class 9's crowd instance counts although it is never drawn)."""
    assert pairs.instance_counts.tolist() == list(pairs.dataset.metainfo['instance_counts'])
    assert pairs.instance_counts[9] == 1 and 9 not in pairs.classes_with_images


def test_classes_are_drawn_uniformly_and_images_contain_them(pairs):
    sampler = batches(pairs, seed=0)
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


def test_batches_hold_classes_times_images(pairs):
    sampler = batches(pairs, seed=1, num_classes_per_iter=4, images_per_class=3)
    assert sampler.batch_size == 12
    for batch in itertools.islice(iter(sampler), 50):
        labels = np.array([pairs.pair(i)[0] for i in batch]).reshape(4, 3)
        assert (labels == labels[:, :1]).all()  # each class's images together


def test_seeded_and_independent_per_rank(pairs, monkeypatch):
    first = draw(batches(pairs, seed=3), 200)
    assert first == draw(batches(pairs, seed=3), 200)
    assert first != draw(batches(pairs, seed=4), 200)
    streams = {}
    for rank in (0, 1):
        monkeypatch.setattr(sampler_module, 'get_dist_info', lambda r=rank: (r, 2))
        sampler = batches(pairs, seed=3, num_classes_per_iter=16)
        assert sampler.batch_size == 8  # the 16 classes split over the 2 processes
        streams[rank] = draw(sampler, 200)
    assert streams[0] == first  # rank 0 of 2 draws what a single process draws
    assert streams[0] != streams[1]
    monkeypatch.setattr(sampler_module, 'get_dist_info', lambda: (0, 3))
    with pytest.raises(ValueError, match='does not split evenly over 3'):
        batches(pairs, num_classes_per_iter=16)


def test_class_probability_power(pairs):
    sampler = batches(pairs, seed=0, class_prob_power=1.0, count_cap=100)
    counts = Counter(pairs.pair(i)[0] for i in draw(sampler, 20000))
    expected = np.asarray(pairs.instance_counts[:9], float)
    expected = expected / expected.sum() * 20000
    assert chisquare([counts[c] for c in range(9)], expected).pvalue > 1e-3


def test_needs_a_pair_dataset_and_sizes_the_batch_itself(pairs):
    with pytest.raises(TypeError, match='ClassImagePairDataset'):
        BiLevelClassBatchSampler(InfiniteSampler(pairs.dataset, seed=0))
    with pytest.raises(ValueError, match='batch_size=16 conflicts'):
        batches(pairs, batch_size=16)


def test_built_by_mmengine_from_the_config(pairs):
    """As the SimCal configs give it: batch_size None, the run's seed through the
    element sampler, batches of num_classes_per_iter x images_per_class."""
    loader = Runner.build_dataloader(dict(
        dataset=pairs, batch_size=None, num_workers=0,
        sampler=dict(type='InfiniteSampler'),
        batch_sampler=dict(type='BiLevelClassBatchSampler', num_classes_per_iter=4,
                           images_per_class=2),
        collate_fn=dict(type='pseudo_collate')), seed=7)
    assert loader.batch_sampler.seed == 7 and loader.batch_sampler.batch_size == 8
    assert draw(loader.batch_sampler, 100) == draw(batches(pairs, seed=7,
                                                           num_classes_per_iter=4,
                                                           images_per_class=2), 100)
