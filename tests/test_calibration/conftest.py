"""Fixtures of the calibration tests (helpers in simcal_testing.py)."""
from pathlib import Path

import pytest
from simcal_testing import write_lvis_json


@pytest.fixture(scope='session')
def long_tail_ann(tmp_path_factory) -> Path:
    """An annotation file (no images needed) with 10 classes: class k has k + 1 images
    (class 9 none); image 0 also has an ignored (crowd) instance of class 9."""
    images, annotations = [], []
    cats = [dict(id=10 + k, name=f'c{k}', frequency='r') for k in range(10)]
    img_id = 0
    for k in range(9):
        for _ in range(k + 1):
            img_id += 1
            images.append(dict(id=img_id, width=64, height=48, file_name=f'{img_id}.jpg',
                               neg_category_ids=[], not_exhaustive_category_ids=[]))
            for j in range(1 + img_id % 3):
                annotations.append(dict(id=len(annotations) + 1, image_id=img_id,
                                        category_id=10 + k, bbox=[2 + 4 * j, 2, 10, 10],
                                        area=100, segmentation=[[2, 2, 12, 2, 12, 12]]))
    annotations.append(dict(id=len(annotations) + 1, image_id=1, category_id=19,
                            bbox=[30, 20, 8, 8], area=64, iscrowd=1,
                            segmentation=[[30, 20, 38, 20, 38, 28]]))
    return write_lvis_json(tmp_path_factory.mktemp('ann') / 'train.json', images, cats,
                           annotations)
