"""Tests of the per-class split statistics and their cache (mmdet/datasets/statistics.py)."""
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from mmdet.datasets import LVISDataset, SplitStatistics
from mmdet.datasets import statistics as statistics_module
from mmdet.testing import make_toy_lvis

CATS = [dict(id=5, name='dog', frequency='c'), dict(id=2, name='cat', frequency='f'),
        dict(id=9, name='emu', frequency='r'), dict(id=4, name='yak')]


def _ann(ann_id, img_id, cat_id):
    return dict(id=ann_id, image_id=img_id, category_id=cat_id, bbox=[1, 1, 4, 4], area=16,
                segmentation=[[1, 1, 5, 1, 5, 5, 1, 5]])


def _data(extra=()):
    images = [dict(id=i, width=20, height=20, file_name=f'{i}.jpg') for i in (1, 3, 7, 8)]
    anns = [_ann(1, 1, 2), _ann(2, 1, 2), _ann(3, 3, 2),   # cat 2: 3 instances, images 1, 3
            _ann(4, 7, 5), _ann(5, 1, 5),                  # cat 5: 2 instances, images 1, 7
            _ann(6, 3, 77)] + list(extra)                  # unknown category: not counted
    return dict(images=images, annotations=anns, categories=CATS)


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def _cache(path):
    return path.with_name(path.name + '.stats.json')


def test_counts_equal_a_hand_count():
    stats = SplitStatistics.from_dict(_data())
    assert stats.cat_ids == [2, 4, 5, 9]
    assert stats.names == ['cat', 'yak', 'dog', 'emu']
    assert stats.frequencies == ['f', '', 'c', 'r']
    assert stats.instance_counts == [3, 0, 2, 0]
    assert stats.image_counts == [2, 0, 2, 0]
    assert stats.images_per_class == [[1, 3], [], [1, 7], []]
    assert stats.num_images == 4
    assert stats.instance_count_by_cat_id == {2: 3, 4: 0, 5: 2, 9: 0}


def test_counts_on_toy_split(tmp_path):
    paths = make_toy_lvis(tmp_path / 'toy', num_classes=16, num_train_images=30,
                          num_val_images=10, image_size=(64, 64), seed=0,
                          lvis_stats_file=False)
    data = json.loads(Path(paths['train_ann_file']).read_text())
    instances = Counter(a['category_id'] for a in data['annotations'])
    images = defaultdict(set)
    for a in data['annotations']:
        images[a['category_id']].add(a['image_id'])
    stats = LVISDataset(ann_file=paths['train_ann_file'], serialize_data=False).statistics
    cat_ids = sorted(c['id'] for c in data['categories'])
    assert stats.cat_ids == cat_ids
    assert stats.instance_counts == [instances[c] for c in cat_ids]
    assert stats.image_counts == [len(images[c]) for c in cat_ids]
    assert stats.images_per_class == [sorted(images[c]) for c in cat_ids]
    assert stats.num_images == 30
    # the generator's own per-category counts agree
    by_id = {c['id']: c for c in data['categories']}
    assert stats.instance_counts == [by_id[c]['instance_count'] for c in cat_ids]
    assert stats.image_counts == [by_id[c]['image_count'] for c in cat_ids]
    assert _cache(Path(paths['train_ann_file'])).is_file()


def test_cache_is_written_and_used(tmp_path, monkeypatch):
    ann = _write(tmp_path / 'a.json', _data())
    stats = SplitStatistics.from_annotation_file(ann)
    cache = _cache(ann)
    assert cache.is_file()
    cached = json.loads(cache.read_text())
    st = ann.stat()
    assert cached['key']['size'] == st.st_size
    assert cached['key']['mtime_ns'] == st.st_mtime_ns
    assert cached['stats']['instance_counts'] == [3, 0, 2, 0]

    def no_rebuild(*args, **kwargs):
        raise AssertionError('statistics recomputed despite a valid cache')
    monkeypatch.setattr(SplitStatistics, 'from_dict', classmethod(no_rebuild))
    assert SplitStatistics.from_annotation_file(ann) == stats
    assert SplitStatistics.from_annotation_file(str(ann)) == stats
    with pytest.raises(AssertionError, match='recomputed'):
        SplitStatistics.from_annotation_file(ann, use_cache=False)
    assert not any(p.name.endswith('.tmp') for p in tmp_path.iterdir())


def test_changed_annotation_file_invalidates_the_cache(tmp_path):
    ann = _write(tmp_path / 'a.json', _data())
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
    # a new annotation: the size changes
    _write(ann, _data(extra=[_ann(7, 8, 9)]))
    stats = SplitStatistics.from_annotation_file(ann)
    assert stats.instance_counts == [3, 0, 2, 1]
    assert stats.images_per_class[3] == [8]
    assert json.loads(_cache(ann).read_text())['key']['size'] == ann.stat().st_size
    # same size, other content, other modification time
    before = ann.stat()
    _write(ann, _data(extra=[_ann(7, 8, 4)]))  # category 9 -> 4: same length
    assert ann.stat().st_size == before.st_size
    os.utime(ann, ns=(before.st_atime_ns, before.st_mtime_ns + 10 ** 9))
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 1, 2, 0]


@pytest.mark.parametrize('content', ['{"key": ', '[]', '{"key": 3}', 'null',
                                     '{"stats": {"cat_ids": []}}'])
def test_damaged_cache_is_rebuilt(tmp_path, content):
    ann = _write(tmp_path / 'a.json', _data())
    _cache(ann).write_text(content)
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
    assert json.loads(_cache(ann).read_text())['stats']['instance_counts'] == [3, 0, 2, 0]


def test_cache_with_the_right_key_but_stale_fields_is_rebuilt(tmp_path):
    ann = _write(tmp_path / 'a.json', _data())
    SplitStatistics.from_annotation_file(ann)
    cached = json.loads(_cache(ann).read_text())
    cached['stats']['unknown_field'] = 1
    _cache(ann).write_text(json.dumps(cached))
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]


def test_unwritable_folder_still_works(tmp_path, monkeypatch):
    ann = _write(tmp_path / 'a.json', _data())
    # as a read-only folder answers (root can write anywhere, so simulate it)
    monkeypatch.setattr(statistics_module.os, 'access', lambda path, mode: False)
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
    assert not _cache(ann).exists()
    monkeypatch.undo()

    def refuse(path, text):
        raise PermissionError(13, 'Permission denied', str(path))
    monkeypatch.setattr(statistics_module, 'atomic_write_text', refuse)
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
    assert not _cache(ann).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes to read-only folders')
def test_read_only_folder_still_works(tmp_path):
    folder = tmp_path / 'ro'
    folder.mkdir()
    ann = _write(folder / 'a.json', _data())
    folder.chmod(0o555)
    try:
        assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
        assert not _cache(ann).exists()
    finally:
        folder.chmod(0o755)


def test_unreadable_or_unreplaceable_cache_still_works(tmp_path):
    ann = _write(tmp_path / 'a.json', _data())
    _cache(ann).mkdir()  # a folder where the cache file should be: neither read nor replaced
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]
    assert _cache(ann).is_dir()
    assert not any(p.name.endswith('.tmp') for p in tmp_path.iterdir())


def test_unreadable_cache_file_is_ignored(tmp_path, monkeypatch):
    ann = _write(tmp_path / 'a.json', _data())
    SplitStatistics.from_annotation_file(ann)
    cache = _cache(ann)
    real_read_text = Path.read_text

    def read_text(self, *args, **kwargs):
        if self == cache:
            raise PermissionError(13, 'Permission denied', str(self))
        return real_read_text(self, *args, **kwargs)
    monkeypatch.setattr(Path, 'read_text', read_text)
    assert SplitStatistics.from_annotation_file(ann).instance_counts == [3, 0, 2, 0]


def test_dataset_statistics_property(tmp_path):
    ann = _write(tmp_path / 'a.json', _data())
    ds = LVISDataset(ann_file=str(ann), serialize_data=False)
    assert ds.statistics is ds.statistics
    assert ds.statistics == SplitStatistics.from_dict(_data())
    assert list(ds.metainfo['cat_ids']) == ds.statistics.cat_ids
