import math

import numpy as np
import pytest
import torch

import mmdet.datasets.samplers.repeat_factor_sampler as rfs_module
from mmdet.datasets.samplers import RepeatFactorSampler
from mmdet.registry import DATA_SAMPLERS


class FakeDataset:
    """100 images, 3 classes; class 0 in every image but 2, 1 in 10 images, 2 in 1."""

    def __init__(self, cat_ids=None):
        if cat_ids is None:
            cat_ids = [[0, 0] for _ in range(100)]
            for i in range(10):
                cat_ids[i] = [0, 1, 1]  # duplicates count once per image
            cat_ids[3] = [1, 2, 0]  # image 3: classes 0, 1 and the rare 2
            cat_ids[98] = []  # two images without annotations
            cat_ids[99] = []
        self.cat_ids = cat_ids
        self.metainfo = dict(classes=('a', 'b', 'c'))

    def __len__(self):
        return len(self.cat_ids)

    def get_cat_ids(self, idx):
        return list(self.cat_ids[idx])

    def get_data_info(self, idx):
        return dict(width=10, height=10)


def expected_factors(t):
    r_cls = [max(1.0, math.sqrt(t / f)) for f in (98 / 100, 10 / 100, 1 / 100)]
    r_img = np.full(100, r_cls[0])
    r_img[:10] = r_cls[1]
    r_img[3] = r_cls[2]
    r_img[98:] = 1.0
    return np.array(r_cls), r_img


def single_rank(monkeypatch, rank=0, world_size=1):
    monkeypatch.setattr(rfs_module, 'get_dist_info', lambda: (rank, world_size))


def test_repeat_factors_by_hand(monkeypatch):
    single_rank(monkeypatch)
    s = RepeatFactorSampler(FakeDataset(), repeat_thr=0.1, seed=0)
    r_cls, r_img = expected_factors(0.1)
    assert r_cls[2] == pytest.approx(math.sqrt(10))  # class in 1 of 100 images
    assert r_cls[1] == pytest.approx(1.0)  # f = t exactly: no oversampling
    assert r_cls[0] == 1.0
    np.testing.assert_allclose(s.category_repeat_factors.numpy(), r_cls)
    np.testing.assert_allclose(s.repeat_factors.numpy(), r_img)
    assert s.repeat_factors[3] == pytest.approx(math.sqrt(10))  # max over its classes
    assert s.repeat_factors[98] == 1.0 and s.repeat_factors[99] == 1.0  # no classes
    assert s.repeat_factors.dtype.is_floating_point and s.repeat_factors.shape == (100,)

    s = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=0)
    r_cls, r_img = expected_factors(0.5)
    assert r_cls[1] == pytest.approx(math.sqrt(5))
    np.testing.assert_allclose(s.repeat_factors.numpy(), r_img)
    assert s.expected_epoch_size == pytest.approx(r_img.sum())


def test_build_from_registry(monkeypatch):
    single_rank(monkeypatch)
    s = DATA_SAMPLERS.build(dict(type='RepeatFactorSampler', repeat_thr=0.1),
                            default_args=dict(dataset=FakeDataset(), seed=3))
    assert isinstance(s, RepeatFactorSampler) and s.seed == 3


def test_stochastic_rounding_and_reproducibility(monkeypatch):
    single_rank(monkeypatch)
    s = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=7)
    r = s.repeat_factors.numpy()
    epochs = 400
    totals = np.zeros(100)
    lists = []
    for epoch in range(epochs):
        s.set_epoch(epoch)
        idx = list(s)
        assert len(idx) == len(s)  # len() is exact for the epoch iterated
        counts = np.bincount(idx, minlength=100)
        assert np.all((counts == np.floor(r)) | (counts == np.ceil(r)))
        totals += counts
        lists.append(idx)
    # mean number of repeats approaches r(i); SE of a mean of 400 Bernoullis <= 0.025
    np.testing.assert_allclose(totals / epochs, r, atol=0.1)
    assert abs(totals.sum() / epochs - r.sum()) < 1.0
    # lengths differ across epochs (frac(r) of 9 images is sqrt(5) - 2 ~ 0.24)
    assert len({len(x) for x in lists}) > 1
    # reproducible given seed and epoch, different across epochs
    s2 = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=7)
    s2.set_epoch(5)
    assert list(s2) == lists[5]
    s2.set_epoch(5)
    assert list(s2) == lists[5]
    assert lists[5] != lists[6]
    s3 = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=8)
    s3.set_epoch(5)
    assert list(s3) != lists[5]


def test_no_shuffle_keeps_image_order(monkeypatch):
    single_rank(monkeypatch)
    s = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, shuffle=False, seed=0)
    idx = list(s)
    assert idx == sorted(idx) and set(idx) == set(range(100))


@pytest.mark.parametrize('round_up', [True, False])
def test_two_ranks_split_the_epoch(monkeypatch, round_up):
    world_size = 2
    pads = set()
    for epoch in range(6):
        per_rank = []
        for rank in range(world_size):
            single_rank(monkeypatch, rank, world_size)
            s = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=11,
                                    round_up=round_up)
            s.set_epoch(epoch)
            idx = list(s)
            assert len(idx) == len(s)
            per_rank.append(idx)
        epoch_list = s.get_epoch_indices(epoch).tolist()
        single_rank(monkeypatch)
        whole = RepeatFactorSampler(FakeDataset(), repeat_thr=0.5, seed=11)
        whole.set_epoch(epoch)
        assert list(whole) == epoch_list  # one rank: the epoch's list itself

        n = len(epoch_list)
        merged = [None] * (len(per_rank[0]) + len(per_rank[1]))
        merged[0::2], merged[1::2] = per_rank[0], per_rank[1]
        if round_up:
            assert len(per_rank[0]) == len(per_rank[1]) == math.ceil(n / world_size)
            pad = len(merged) - n
            assert 0 <= pad <= world_size - 1
            pads.add(pad)
            assert merged[:n] == epoch_list
            assert merged[n:] == epoch_list[:pad]  # padding wraps around
        else:
            assert merged == epoch_list
            assert len(per_rank[0]) - len(per_rank[1]) in (0, 1)
    if round_up:  # both an even and an odd epoch length were exercised
        assert pads == {0, 1}


def test_padding_with_tiny_epoch(monkeypatch):
    ds = FakeDataset(cat_ids=[[0]])
    for rank in range(3):
        single_rank(monkeypatch, rank, 3)
        s = RepeatFactorSampler(ds, repeat_thr=0.0, seed=0)
        assert list(s) == [0] and len(s) == 1


def test_invalid_threshold(monkeypatch):
    single_rank(monkeypatch)
    with pytest.raises(ValueError, match='repeat_thr'):
        RepeatFactorSampler(FakeDataset(), repeat_thr=-1.0, seed=0)


def test_seed_defaults_to_sync_random_seed(monkeypatch):
    single_rank(monkeypatch)
    monkeypatch.setattr(rfs_module, 'sync_random_seed', lambda: 1234)
    s = RepeatFactorSampler(FakeDataset(), seed=None)
    assert s.seed == 1234
    assert torch.equal(s.get_epoch_indices(0),
                       RepeatFactorSampler(FakeDataset(), seed=1234).get_epoch_indices(0))
