"""Per-category training counts by instance and by image (``category_counts``,
``load_train_counts``), from annotations and from a statistics file's fields."""
import json
import random

import pytest

from lvis_api import LVIS, LVISFormatError, load_train_counts
from lvis_api.lvis import category_counts, instance_counts
from mmdet.evaluation.metrics.lvis_metric import train_counts_of


def _image(img_id):
    return dict(id=img_id, width=64, height=48, file_name=f'{img_id}.jpg',
                neg_category_ids=[], not_exhaustive_category_ids=[])


def _ann(ann_id, img_id, cat_id, **extra):
    return dict(id=ann_id, image_id=img_id, category_id=cat_id, bbox=[2, 2, 10, 10],
                area=100, segmentation=[[2, 2, 12, 2, 12, 12]], **extra)


def hand_made():
    """Categories 3, 1, 7 (listed out of order):
    1: three instances, two in image 10 and one in image 11 -> 3 instances, 2 images;
    3: one plain and one crowd instance, both in image 12 -> 2 instances, 1 image;
    7: none -> 0 and 0."""
    cats = [dict(id=3, name='c3', frequency='r'), dict(id=1, name='c1', frequency='r'),
            dict(id=7, name='c7', frequency='r')]
    anns = [_ann(1, 10, 1), _ann(2, 10, 1), _ann(3, 11, 1), _ann(4, 12, 3),
            _ann(5, 12, 3, iscrowd=1)]
    return dict(images=[_image(i) for i in (10, 11, 12, 13)], categories=cats,
                annotations=anns)


def test_counts_by_instance_and_by_image_by_hand():
    data = hand_made()
    by_instance = category_counts(data, 'instance')
    by_image = category_counts(data, 'image')
    assert by_instance == {1: 3, 3: 2, 7: 0}
    assert by_image == {1: 2, 3: 1, 7: 0}
    assert list(by_instance) == [1, 3, 7] and list(by_image) == [1, 3, 7]  # id order
    assert category_counts(data) == by_instance  # instance is the default
    assert instance_counts(data) == by_instance
    with pytest.raises(ValueError, match="'images'"):
        category_counts(data, 'images')


def test_image_counts_agree_with_the_plain_index_on_a_random_file():
    """The set-based count against LVIS.image_counts (from its category -> image
    index) and a plain double loop, on random annotations with repeats."""
    rng = random.Random(0)
    cats = [dict(id=c, name=f'c{c}', frequency='c') for c in range(1, 12)]
    anns = [_ann(i + 1, rng.randint(1, 15), rng.randint(1, 10)) for i in range(120)]
    data = dict(images=[_image(i) for i in range(1, 16)], categories=cats, annotations=anns)
    by_image = category_counts(data, 'image')
    assert by_image == LVIS(data).image_counts()
    plain = {c['id']: len({a['image_id'] for a in anns if a['category_id'] == c['id']})
             for c in cats}
    assert by_image == plain and by_image[11] == 0
    assert category_counts(data, 'instance') == {
        c['id']: sum(a['category_id'] == c['id'] for a in anns) for c in cats}
    assert by_image != category_counts(data, 'instance')


def test_load_train_counts_from_a_file_a_dict_and_an_lvis_object(tmp_path):
    data = hand_made()
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(data))
    for source in (path, str(path), data, LVIS(data)):
        assert load_train_counts(source) == {1: 3, 3: 2, 7: 0}
        assert load_train_counts(source, by='instance') == {1: 3, 3: 2, 7: 0}
        assert load_train_counts(source, by='image') == {1: 2, 3: 1, 7: 0}
    # a {category_id: count} mapping is taken as it is, whatever 'by' says
    counts = tmp_path / 'counts.json'
    counts.write_text(json.dumps({'1': 5, '3': 4}))
    assert load_train_counts(counts, by='image') == {1: 5, 3: 4}


def test_statistics_file_uses_the_categories_fields(tmp_path):
    """No annotations: each category's ``instance_count`` / ``image_count`` field."""
    cats = [dict(id=2, name='b', instance_count=40, image_count=7),
            dict(id=1, name='a', instance_count=5, image_count=5)]
    stats = dict(images=[], categories=cats, annotations=[])
    assert category_counts(stats, 'instance') == {1: 5, 2: 40}
    assert category_counts(stats, 'image') == {1: 5, 2: 7}
    path = tmp_path / 'stats.json'
    path.write_text(json.dumps(dict(categories=cats)))  # no annotations key at all
    assert load_train_counts(path, by='image') == {1: 5, 2: 7}
    assert load_train_counts(path) == {1: 5, 2: 40}


def test_missing_fields_are_errors_naming_them(tmp_path):
    only_instances = [dict(id=1, instance_count=5), dict(id=2, instance_count=3)]
    # no category has an image_count: zeros from category_counts, an error from
    # load_train_counts (nothing to count)
    assert category_counts(dict(categories=only_instances), 'image') == {1: 0, 2: 0}
    with pytest.raises(LVISFormatError, match='"image_count"'):
        load_train_counts(dict(categories=only_instances), by='image')
    # some have it, one lacks it: the error names the category and the field
    partial = [dict(id=1, image_count=5), dict(id=2)]
    with pytest.raises(LVISFormatError, match=r'categories\[1\] has no "image_count"'):
        category_counts(dict(categories=partial), 'image', 'stats.json')
    with pytest.raises(LVISFormatError, match=r'categories\[1\] has no "instance_count"'):
        category_counts(dict(categories=[dict(id=1, instance_count=5), dict(id=2)]))
    # counting images needs each annotation's image_id (instances do not)
    data = dict(categories=[dict(id=1)], annotations=[dict(id=1, category_id=1)])
    assert category_counts(data, 'instance') == {1: 1}
    with pytest.raises(LVISFormatError, match='"image_id"'):
        category_counts(data, 'image')


def test_the_metrics_cache_keeps_both_kinds_of_one_file(tmp_path):
    path = tmp_path / 'train.json'
    path.write_text(json.dumps(hand_made()))
    assert train_counts_of(str(path), 'instance') == {1: 3, 3: 2, 7: 0}
    assert train_counts_of(str(path), 'image') == {1: 2, 3: 1, 7: 0}
    assert train_counts_of(str(path)) == {1: 3, 3: 2, 7: 0}
    assert train_counts_of(str(path), 'image') == {1: 2, 3: 1, 7: 0}


def test_lvis_v0_5_statistics_give_norcal_image_counts_for_every_class():
    """The real LVIS v0.5 train statistics (categories with image_count and
    instance_count): a count file NorCal can use as it is, every class counted."""
    from data_testing import package_data_path
    path = package_data_path('lvis_v0.5_train_categories.json')
    cats = {c['id']: c for c in json.loads(path.read_text())['categories']}
    images, instances = load_train_counts(path, by='image'), load_train_counts(path)
    assert len(images) == len(instances) == 1230 and min(images.values()) >= 1
    assert images == {i: c['image_count'] for i, c in cats.items()}
    assert instances == {i: c['instance_count'] for i, c in cats.items()}
    assert all(images[i] <= instances[i] for i in cats)
    assert images[1] == 2  # acorn


def test_the_metrics_cache_parses_once_and_keeps_a_kind_the_file_cannot_give(tmp_path,
                                                                               monkeypatch):
    """A statistics file with instance counts only: the bins get them, NorCal's image
    counts fail when asked for, and the file is parsed once for both."""
    import mmdet.evaluation.metrics.lvis_metric as lvis_metric
    path = tmp_path / 'stats.json'
    path.write_text(json.dumps(dict(categories=[dict(id=1, instance_count=4),
                                                dict(id=2, instance_count=9)])))
    parsed = []
    real = lvis_metric.load_json
    monkeypatch.setattr(lvis_metric, 'load_json', lambda p: parsed.append(p) or real(p))
    assert train_counts_of(str(path)) == {1: 4, 2: 9}
    with pytest.raises(LVISFormatError, match='no categories with an "image_count"'):
        train_counts_of(str(path), by='image')
    assert train_counts_of(str(path)) == {1: 4, 2: 9} and len(parsed) == 1
    with pytest.raises(ValueError, match="by one of"):
        train_counts_of(str(path), by='images')
