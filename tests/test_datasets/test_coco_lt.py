"""tools/misc/make_coco_lt.py and mmdet.datasets.coco_lt on a synthetic COCO-sized
train2017 (118,287 images, ~860k instances, COCO's 80 classes; no images needed)."""
import hashlib
import json
from collections import Counter

import numpy as np
import pytest

from mmdet.datasets.coco_lt import (COCO_LT_BIN_CLASSES, ORIGINAL_COCO_LT_COUNTS,
                                    sample_coco_lt)
from tool_testing import load_tool

# Instances per class of COCO train2017 as commonly reported (rounded where unsure): the
# test needs a COCO-sized source, not COCO's exact file. The 20 classes COCO-LT keeps
# whole have the original's counts, which are COCO's.
COCO_TRAIN_COUNTS = {
    'bicycle': 7113, 'airplane': 5135, 'bus': 6069, 'train': 4571, 'fire hydrant': 1865,
    'stop sign': 1983, 'parking meter': 1285, 'cat': 4768, 'dog': 5508, 'horse': 6587,
    'cow': 8147, 'elephant': 5513, 'bear': 1294, 'zebra': 5303, 'giraffe': 5131,
    'tie': 6496, 'suitcase': 6192, 'frisbee': 2682, 'skis': 6646, 'snowboard': 2685,
    'sports ball': 6347, 'baseball bat': 3276, 'baseball glove': 3747, 'skateboard': 5543,
    'surfboard': 6126, 'tennis racket': 4812, 'wine glass': 7913, 'fork': 5479,
    'knife': 7770, 'spoon': 6165, 'apple': 5851, 'sandwich': 4373, 'orange': 6399,
    'broccoli': 7308, 'carrot': 7852, 'hot dog': 2918, 'pizza': 5821, 'donut': 7179,
    'cake': 6353, 'couch': 5779, 'potted plant': 8652, 'bed': 4192, 'toilet': 4157,
    'tv': 5805, 'laptop': 4970, 'mouse': 2262, 'remote': 5703, 'keyboard': 2855,
    'cell phone': 6434, 'microwave': 1673, 'oven': 3334, 'toaster': 225, 'sink': 5610,
    'refrigerator': 2637, 'clock': 6334, 'vase': 6613, 'scissors': 1481,
    'teddy bear': 4793, 'hair drier': 198, 'toothbrush': 1954}
COCO_IDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
            24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47,
            48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70,
            72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]
NUM_COCO_TRAIN_IMAGES = 118287


def synthetic_coco(counts, num_images, seed=0, as_text=False):
    """COCO-format annotations (ids only) with ``counts[name]`` instances per class,
    spread over a random set of images per class (1.3-3 instances per image); the JSON
    text itself with ``as_text`` (fast at COCO's size)."""
    rng = np.random.default_rng(seed)
    categories = [dict(id=i, name=n, supercategory='') for i, n in zip(COCO_IDS, counts)]
    img_of, cat_of = [], []
    for cat in categories:
        n = counts[cat['name']]
        m = max(1, min(num_images, int(round(n / rng.uniform(1.3, 3.0)))))
        images = rng.choice(num_images, m, replace=False) + 1
        per_image = 1 + rng.multinomial(n - m, np.full(m, 1.0 / m))
        img_of.append(np.repeat(images, per_image))
        cat_of.append(np.full(n, cat['id']))
    order = rng.permutation(sum(map(len, img_of)))
    img_of, cat_of = np.concatenate(img_of)[order].tolist(), np.concatenate(cat_of)[order].tolist()
    images = [dict(id=i, file_name=f'{i:012d}.jpg', height=480, width=640)
              for i in range(1, num_images + 1)]
    head = dict(info={}, licenses=[], images=images, categories=categories)
    if not as_text:
        return dict(head, annotations=[dict(id=k + 1, image_id=i, category_id=c, iscrowd=0)
                                       for k, (i, c) in enumerate(zip(img_of, cat_of))])
    anns = ','.join(f'{{"id":{k + 1},"image_id":{i},"category_id":{c},"iscrowd":0}}'
                    for k, (i, c) in enumerate(zip(img_of, cat_of)))
    return json.dumps(head, separators=(',', ':'))[:-1] + f',"annotations":[{anns}]}}'


def coco_counts():
    counts = {name: COCO_TRAIN_COUNTS.get(name, n)
              for name, (n, _) in ORIGINAL_COCO_LT_COUNTS.items()}
    assert len(counts) == 80
    return counts


@pytest.fixture(scope='module')
def coco_sized(tmp_path_factory):
    source = tmp_path_factory.mktemp('coco') / 'instances_train2017.json'
    source.write_text(synthetic_coco(coco_counts(), NUM_COCO_TRAIN_IMAGES, as_text=True))
    assert 850_000 < sum(coco_counts().values()) < 870_000  # COCO train2017: 860,001
    return source


def test_coco_sized_source_gives_the_original_bins_and_counts(coco_sized, tmp_path, capsys):
    tool = load_tool('tools/misc/make_coco_lt.py')
    out = tmp_path / 'coco_lt_train2017.json'
    assert tool.main([str(coco_sized), str(out), '--seed', '0']) == 0
    printed = capsys.readouterr().out
    assert 're-creation' in printed and 'not the original file' in printed
    stats = json.loads(out.with_suffix('.statistics.json').read_text())
    assert [b['classes'] for b in stats['bins']] == list(COCO_LT_BIN_CLASSES)
    assert [b['original_classes'] for b in stats['bins']] == list(COCO_LT_BIN_CLASSES)
    # every class exactly at the original's count: the instance total is the original's
    for c in stats['classes']:
        assert c['instances'] == c['original_instances'] == c['target'], c
    assert stats['totals']['instances'] == 666_493 == stats['totals']['original_instances']
    assert 0 < stats['totals']['images'] < NUM_COCO_TRAIN_IMAGES
    # the written file agrees with its statistics, every image with an annotation
    lt = json.loads(out.read_text())
    counts = Counter(a['category_id'] for a in lt['annotations'])
    assert {c['id']: c['instances'] for c in stats['classes']} == counts
    assert {img['id'] for img in lt['images']} == {a['image_id'] for a in lt['annotations']}
    assert len(lt['images']) == stats['totals']['images']
    assert 'not the original file' in lt['info']['description']


def small_source(seed=0, scale=0.02):
    counts = {name: max(3, int(n * scale)) for name, n in coco_counts().items()}
    return synthetic_coco(counts, 3000, seed=seed)


def test_seeded_and_class_wise_targets(tmp_path):
    data = small_source()
    targets = {c['id']: (5 if c['name'] in ('dog', 'cat') else 10 ** 6)
               for c in data['categories']}
    a, stats = sample_coco_lt(data, seed=1, targets=targets)
    b, _ = sample_coco_lt(data, seed=1, targets=targets)
    c, _ = sample_coco_lt(data, seed=2, targets=targets)
    digest = lambda d: hashlib.sha256(json.dumps(d).encode()).hexdigest()  # noqa: E731
    assert digest(a) == digest(b) and digest(a) != digest(c)
    by_name = {row['name']: row for row in stats['classes']}
    assert by_name['dog']['instances'] == 5 and by_name['cat']['instances'] == 5
    assert by_name['person']['instances'] == by_name['person']['source_instances']
    # a kept image keeps only the classes it was drawn for
    kept = {(x['image_id'], x['category_id']) for x in a['annotations']}
    cat_id = by_name['cat']['id']
    cat_images = {i for i, k in kept if k == cat_id}
    assert len(cat_images) <= 5
    assert all((i, cat_id) not in kept for i in {x['image_id'] for x in a['annotations']}
               - cat_images)


def test_refuses_what_it_cannot_recreate(tmp_path, capsys):
    tool = load_tool('tools/misc/make_coco_lt.py')
    data = small_source()
    data['categories'][3]['name'] = 'not a coco class'
    src = tmp_path / 'src.json'
    src.write_text(json.dumps(data))
    assert tool.main([str(src), str(tmp_path / 'out.json')]) == 2
    assert 'not a coco class' in capsys.readouterr().err
    # a source with fewer instances than a class's target bin needs: nothing written
    data = small_source()
    src.write_text(json.dumps(data))
    assert tool.main([str(src), str(tmp_path / 'out.json')]) == 1
    err = capsys.readouterr().err
    assert 'outside their target bin' in err and 'person' in err
    assert not (tmp_path / 'out.json').exists()
    targets = tmp_path / 'targets.json'
    targets.write_text(json.dumps({'person': 10, 'nope': 3}))
    assert tool.main([str(src), str(tmp_path / 'out.json'), '--targets', str(targets)]) == 2
    assert "'nope'" in capsys.readouterr().err
