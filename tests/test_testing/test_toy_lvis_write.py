"""Writing toy images and LVIS files (mmdet/testing/toy_lvis/write.py)."""
import cv2
import numpy as np

from lvis_api import LVIS
from mmdet.testing.toy_lvis.classes import describe_category
from mmdet.testing.toy_lvis.plan import ImageLabels
from mmdet.testing.toy_lvis.write import (dataset_info, with_train_statistics,
                                          write_annotation_file, write_split_images)

PARTS = [('red', 'solid', 'circle'), ('blue', 'striped', 'square'),
         ('green', 'dotted', 'star')]
CAT_IDS = {0: 3, 1: 1, 2: 2}  # class index -> category id


def _write_split(folder):
    objects = [[0, 0, 1], [2], [1, 2]]
    labels = [ImageLabels({1}, [0], [2]), ImageLabels(set(), [], [0, 1]),
              ImageLabels(set(), [], [])]
    return write_split_images(folder, 'val', objects, labels, PARTS, CAT_IDS, 11,
                              (64, 72), (0, 3, 1), 12, 90)


def test_split_images_and_records(tmp_path):
    images, anns = _write_split(tmp_path / 'val2017')
    assert [i['id'] for i in images] == [11, 12, 13]
    assert images[0]['neg_category_ids'] == [2] and images[1]['neg_category_ids'] == [1, 3]
    assert images[0]['not_exhaustive_category_ids'] == [3]
    assert images[0]['coco_url'].endswith('/val2017/000000000011.jpg')
    # the unannotated instance (object 1 of image 11) has no record
    assert [(a['image_id'], a['category_id']) for a in anns] == [
        (11, 3), (11, 1), (12, 2), (13, 1), (13, 2)]
    assert [a['id'] for a in anns] == [1, 2, 3, 4, 5]
    for img in images:
        pixels = cv2.imread(str(tmp_path / 'val2017' / img['file_name']))
        assert pixels.shape == (64, 72, 3)


def test_annotation_file_loads_with_lvis_api(tmp_path):
    images, anns = _write_split(tmp_path / 'val2017')
    described = [describe_category(PARTS[c], CAT_IDS[c]) for c in (1, 2, 0)]
    categories = with_train_statistics(described, images, anns)
    path = tmp_path / 'lvis_toy_val.json'
    write_annotation_file(path, dataset_info('builtin', {'seed': 0}), images, anns,
                          categories)
    lvis = LVIS(path)
    assert lvis.get_cat_ids() == [1, 2, 3] and lvis.get_img_ids() == [11, 12, 13]
    assert lvis.instance_counts() == {1: 2, 2: 2, 3: 1}
    assert lvis.image_counts() == {1: 2, 2: 2, 3: 1}
    assert lvis.frequency_groups() == {'r': [1, 2, 3], 'c': [], 'f': []}
    assert lvis.cats[3]['name'] == 'red_solid_circle'
    assert list(lvis.cats[3]) == ['id', 'name', 'synset', 'synonyms', 'def', 'frequency',
                                  'image_count', 'instance_count']
    for ann in lvis.load_anns():
        mask = lvis.ann_to_mask(ann)
        assert mask.sum() == ann['area'] > 0
        ys, xs = np.nonzero(mask)
        assert ann['bbox'] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                               ys.max() + 1 - ys.min()]
    assert lvis.dataset['info']['generator'] == {'seed': 0}


def test_train_statistics_follow_the_lvis_rule():
    categories = [{'id': 1}, {'id': 2}, {'id': 3}]
    images = [{'id': i} for i in range(1, 121)]
    anns = ([{'id': i, 'image_id': i, 'category_id': 1} for i in range(1, 121)]
            + [{'id': 200 + i, 'image_id': i, 'category_id': 2} for i in range(1, 12)]
            + [{'id': 300, 'image_id': 5, 'category_id': 2}])
    stats = with_train_statistics(categories, images, anns)
    assert [(c['frequency'], c['image_count'], c['instance_count']) for c in stats] == [
        ('f', 120, 120), ('c', 11, 12), ('r', 0, 0)]
