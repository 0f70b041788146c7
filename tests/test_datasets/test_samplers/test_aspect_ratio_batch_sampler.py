import math
from collections import Counter

import pytest
from mmengine.dataset import DefaultSampler, InfiniteSampler
from torch.utils.data import SequentialSampler

import mmdet.datasets.samplers.repeat_factor_sampler as rfs_module
from mmdet.datasets.samplers import AspectRatioBatchSampler, RepeatFactorSampler
from mmdet.registry import DATA_SAMPLERS


class FakeDataset:
    """Images of mixed orientation; every third is portrait, every fifth is square."""

    def __init__(self, n=23):
        self.sizes = []
        for i in range(n):
            if i % 3 == 0:
                self.sizes.append((40, 60))  # portrait
            elif i % 5 == 0:
                self.sizes.append((50, 50))  # square counts as landscape
            else:
                self.sizes.append((60, 40))
        self.metainfo = dict(classes=('a', 'b'))
        self.info_calls = 0

    def __len__(self):
        return len(self.sizes)

    def get_data_info(self, idx):
        self.info_calls += 1
        w, h = self.sizes[idx]
        return dict(width=w, height=h, img_id=idx)

    def get_cat_ids(self, idx):
        return [1] if idx % 7 == 0 else [0]


def portrait(ds, idx):
    w, h = ds.sizes[idx]
    return w < h


def check_batches(ds, batches, indices, batch_size, drop_last):
    """Full homogeneous batches first, then the leftovers: at most one mixed batch."""
    n_portrait = sum(portrait(ds, i) for i in indices)
    n_landscape = len(indices) - n_portrait
    n_grouped = n_portrait // batch_size + n_landscape // batch_size
    for batch in batches[:n_grouped]:
        assert len(batch) == batch_size
        assert len({portrait(ds, i) for i in batch}) == 1, batch
    leftovers = batches[n_grouped:]
    assert len(leftovers) <= 2
    assert sum(len({portrait(ds, i) for i in b}) > 1 for b in leftovers) <= 1
    assert all(len(b) == batch_size for b in leftovers[:-1])
    if drop_last:
        assert all(len(b) == batch_size for b in batches)
    seen = Counter(i for b in batches for i in b)
    if not drop_last:
        assert seen == Counter(indices)  # every index exactly as often as sampled
    else:
        assert sum(seen.values()) == len(indices) // batch_size * batch_size


@pytest.mark.parametrize('batch_size', [1, 2, 3, 4, 30])
@pytest.mark.parametrize('drop_last', [False, True])
def test_default_sampler(batch_size, drop_last):
    ds = FakeDataset()
    sampler = DefaultSampler(ds, shuffle=True, seed=0)
    bs = AspectRatioBatchSampler(sampler, batch_size, drop_last=drop_last)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        batches = list(bs)
        check_batches(ds, batches, indices, batch_size, drop_last)
        assert len(batches) == len(bs)
        assert sorted(indices) == list(range(len(ds)))
    if drop_last:
        assert len(bs) == len(ds) // batch_size
    else:
        assert len(bs) == math.ceil(len(ds) / batch_size)


def test_orientations_are_cached():
    ds = FakeDataset()
    bs = AspectRatioBatchSampler(SequentialSampler(ds), 4)  # PyTorch sampler: data_source
    list(bs)
    list(bs)
    assert ds.info_calls == len(ds)
    assert bs.orientation(0) == 1 and bs.orientation(5) == 0 and bs.orientation(1) == 0


def test_sequential_grouping_exact():
    ds = FakeDataset(n=10)  # portrait: 0, 3, 6, 9
    batches = list(AspectRatioBatchSampler(SequentialSampler(ds), 3))
    assert batches == [[1, 2, 4], [0, 3, 6], [5, 7, 8], [9]]
    batches = list(AspectRatioBatchSampler(SequentialSampler(ds), 4))
    assert batches == [[1, 2, 4, 5], [0, 3, 6, 9], [7, 8]]
    batches = list(AspectRatioBatchSampler(SequentialSampler(ds), 4, drop_last=True))
    assert batches == [[1, 2, 4, 5], [0, 3, 6, 9]]


@pytest.mark.parametrize('drop_last', [False, True])
def test_with_repeat_factor_sampler(monkeypatch, drop_last):
    monkeypatch.setattr(rfs_module, 'get_dist_info', lambda: (0, 1))
    ds = FakeDataset(n=40)
    sampler = RepeatFactorSampler(ds, repeat_thr=0.5, seed=0)
    assert sampler.repeat_factors.max() > 1
    bs = AspectRatioBatchSampler(sampler, 4, drop_last=drop_last)
    lengths = set()
    for epoch in range(4):
        sampler.set_epoch(epoch)
        indices = list(sampler)
        batches = list(bs)
        lengths.add(len(indices))
        check_batches(ds, batches, indices, 4, drop_last)
        assert len(batches) == len(bs)  # per-epoch length is exact
    assert len(lengths) > 1


def test_infinite_sampler():
    ds = FakeDataset()
    bs = AspectRatioBatchSampler(InfiniteSampler(ds, seed=0), 4)
    it = iter(bs)
    batches = [next(it) for _ in range(12)]
    for batch in batches:
        assert len(batch) == 4 and len({portrait(ds, i) for i in batch}) == 1


def test_build_and_validation():
    ds = FakeDataset()
    sampler = DefaultSampler(ds, seed=0)
    bs = DATA_SAMPLERS.build(dict(type='AspectRatioBatchSampler'),
                             default_args=dict(sampler=sampler, batch_size=2))
    assert isinstance(bs, AspectRatioBatchSampler) and bs.batch_size == 2
    with pytest.raises(ValueError):
        AspectRatioBatchSampler(sampler, 0)

    class NoDataset:
        def __iter__(self):
            return iter([0])

        def __len__(self):
            return 1

    with pytest.raises(TypeError, match='get_data_info'):
        AspectRatioBatchSampler(NoDataset(), 2)
