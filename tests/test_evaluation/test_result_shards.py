"""Per-rank result shards (mmdet/evaluation/result_shards.py) and ShardedMetric: written,
merged in mmengine's order without the sampler's padding, removed afterwards."""
import gc
import io
import pickle
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mmdet.evaluation import ShardedMetric
from mmdet.evaluation.metrics import sharded_metric
from mmdet.evaluation.result_shards import (ShardWriter, merge_shards, read_shard,
                                            write_pickled_list)
from tool_testing import assert_same_values


def _result(i):
    return dict(img_id=i, boxes=np.arange(4 * i, dtype=np.float64).reshape(-1, 4),
                masks=[dict(size=[2, 3], counts=f'c{i}')] * (i % 3))


_LIVE = []  # writers of the shards a test reads (a dropped writer removes its shard)


def _write_shard(folder, name, items):
    writer = ShardWriter(str(folder) if folder is not None else None, name)
    for item in items:
        writer.append(item)
    _LIVE.append(writer)
    return writer, writer.close()


@pytest.fixture(autouse=True)
def _drop_writers():
    yield
    _LIVE.clear()


def test_shard_round_trip_then_removed_with_its_folder(tmp_path):
    folder = tmp_path / 'work' / 'result_shards'
    items = [_result(i) for i in range(5)]
    writer, path = _write_shard(folder, 'LVISMetric', items)
    assert Path(path).parent == folder and Path(path).name.startswith('LVISMetric.rank0.')
    for got, expected in zip(read_shard(path), items, strict=True):
        assert_same_values(got, expected)
    _, other = _write_shard(folder, 'LVISMetric', items[:1])  # e.g. another rank's
    assert other != path
    writer.remove()
    assert not Path(path).exists() and folder.is_dir()  # the other shard is still there
    Path(other).unlink()
    _write_shard(folder, 'X', [1])[0].remove()
    assert not folder.exists()  # removed once empty


def test_without_a_folder_a_temporary_one_is_used_and_removed():
    writer, path = _write_shard(None, 'DumpDetResults', [1, 2])
    assert Path(path).parent.parent == Path(tempfile.gettempdir())
    assert list(read_shard(path)) == [1, 2]
    writer.remove()
    assert not Path(path).parent.exists()


def test_a_dropped_writer_removes_its_shard(tmp_path):
    writer, path = _write_shard(tmp_path / 'shards', 'M', [1])
    del writer
    _LIVE.clear()
    gc.collect()
    assert not Path(path).exists() and not (tmp_path / 'shards').exists()


def test_a_writer_that_wrote_nothing_has_no_shard(tmp_path):
    writer = ShardWriter(str(tmp_path / 'shards'), 'M')
    assert writer.close() is None
    writer.remove()
    assert not (tmp_path / 'shards').exists()


def test_merge_interleaves_ranks_and_drops_the_padding(tmp_path):
    # DefaultSampler over 7 items on 2 ranks: rank 0 gets 0, 2, 4, 6; rank 1 gets 1, 3, 5
    # and item 0 again as padding
    _, rank0 = _write_shard(tmp_path, 'M', [0, 2, 4, 6])
    _, rank1 = _write_shard(tmp_path, 'M', [1, 3, 5, 0])
    assert list(merge_shards([rank0, rank1], 7)) == list(range(7))
    assert list(merge_shards([rank0, rank1], 3)) == [0, 1, 2]
    assert list(merge_shards([rank0, None], 4)) == [0, 2, 4, 6]  # rank 1 had nothing
    _, short = _write_shard(tmp_path, 'M', [1])
    assert list(merge_shards([rank0, short], 10)) == [0, 1, 2, 4, 6]


def test_bad_shards_are_named(tmp_path):
    _, path = _write_shard(tmp_path, 'M', [_result(3), _result(4)])
    data = Path(path).read_bytes()
    Path(path).write_bytes(data[:-10])
    with pytest.raises(ValueError, match=r'\.pkl: truncated or corrupt result shard at byte'):
        list(read_shard(path))
    with pytest.raises(FileNotFoundError, match='every rank must see the shard folder'):
        list(read_shard(str(tmp_path / 'missing.pkl')))


def _item_with_shared_parts():
    part = [np.zeros(3)]
    return {'a': [1, 2] * 3, 'shared': (part, part), 'b': b'\x00' * 300}


@pytest.mark.parametrize('items', [
    [],
    [_result(i) for i in range(4)],
    [_item_with_shared_parts() for _ in range(3)] + ['x' * 10],
])
def test_pickled_list_written_item_by_item_loads_as_the_list(items):
    f = io.BytesIO()
    assert write_pickled_list(f, iter(items)) == len(items)
    loaded = pickle.loads(f.getvalue())
    assert type(loaded) is list
    assert_same_values(loaded, items)
    for item in loaded:
        if isinstance(item, dict) and 'shared' in item:
            assert item['shared'][0] is item['shared'][1]  # references inside an item


class _CollectIds(ShardedMetric):
    default_prefix = 'ids'

    def process(self, data_batch, data_samples):
        for sample in data_samples:
            self.add_result(sample['img_id'])

    def compute_metrics(self, results):
        ids = list(results)
        if not ids:
            raise RuntimeError('nothing to evaluate')
        return dict(order=ids)


def test_sharded_metric_merges_ranks_and_removes_the_shards(tmp_path, monkeypatch):
    folder = tmp_path / 'result_shards'
    metric = _CollectIds(shard_dir=str(folder))
    metric.process({}, [dict(img_id=i) for i in (0, 2, 4)])
    own = next(folder.iterdir())
    _, other = _write_shard(folder, 'rank1', [1, 3, 0])  # rank 1, with a padding duplicate
    gathered = []

    def all_gather_object(path):
        gathered.append(path)
        return [path, other]
    monkeypatch.setattr(sharded_metric, 'all_gather_object', all_gather_object)
    assert metric.evaluate(5) == {'ids/order': [0, 1, 2, 3, 4]}
    assert gathered == [str(own)] and not own.exists()
    # the next evaluation starts a new shard
    monkeypatch.setattr(sharded_metric, 'all_gather_object', lambda path: [path])
    Path(other).unlink()
    metric.process({}, [dict(img_id=7)])
    assert metric.evaluate(1) == {'ids/order': [7]}
    assert not folder.exists()


def test_shards_are_removed_when_evaluation_fails(tmp_path):
    metric = _CollectIds(shard_dir=str(tmp_path / 'shards'))
    metric.process({}, [dict(img_id=1)])
    assert len(list((tmp_path / 'shards').iterdir())) == 1
    with pytest.raises(RuntimeError, match='nothing to evaluate'):
        metric.evaluate(0)
    assert not (tmp_path / 'shards').exists()
