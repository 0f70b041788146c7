"""Tests of the toy long-tail LVIS generator as a whole (mmdet/testing/toy_lvis); its
pieces are tested in test_toy_lvis_{plan,render,write}.py."""
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from lvis_api import frequency_of_image_count
from mmdet.testing import make_toy_lvis
from mmdet.testing.toy_lvis import summarize_split
from mmdet.testing.toy_lvis.classes import COLOURS, SHAPES, TEXTURE_RGB, TEXTURES
from tool_testing import tool_env

REPO = Path(__file__).resolve().parents[2]
TINY = dict(num_classes=16, num_train_images=60, num_val_images=30,
            image_size=(96, 112))  # H != W on purpose


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    paths = make_toy_lvis(tmp_path_factory.mktemp('toy'), seed=0, **TINY)
    data = {s: json.loads(Path(paths[f'{s}_ann_file']).read_text())
            for s in ('train', 'val')}
    return paths, data


def _files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(Path(root).rglob('*')) if p.is_file()}


def _mask(ann, img):
    rle = mask_utils.merge(mask_utils.frPyObjects(ann['segmentation'], img['height'],
                                                  img['width']))
    return mask_utils.decode(rle).astype(bool)


def test_layout_and_paths(toy):
    paths, data = toy
    root = Path(paths['data_root'])
    assert paths['train_ann_file'] == str(root / 'annotations/lvis_toy_train.json')
    assert paths['val_ann_file'] == str(root / 'annotations/lvis_toy_val.json')
    for split in ('train', 'val'):
        d = data[split]
        assert set(d) == {'info', 'licenses', 'images', 'annotations', 'categories'}
        assert len(d['images']) == TINY[f'num_{split}_images']
        folder = Path(paths[f'{split}_img_dir'])
        assert folder == root / f'{split}2017'
        assert len(list(folder.glob('*.jpg'))) == len(d['images'])
        for img in d['images']:
            name = img['coco_url'].rsplit('/', 1)[1]
            assert img['coco_url'] == f'http://images.cocodataset.org/{split}2017/{name}'
            assert name == img['file_name'] == f'{img["id"]:012d}.jpg'
            pixels = cv2.imread(str(folder / name))
            assert pixels.shape == (img['height'], img['width'], 3) == (96, 112, 3)


def test_ids_unique(toy):
    _, data = toy
    image_ids = [i['id'] for s in data.values() for i in s['images']]
    assert len(set(image_ids)) == len(image_ids)  # unique across both splits
    for d in data.values():
        ann_ids = [a['id'] for a in d['annotations']]
        assert sorted(ann_ids) == list(range(1, len(ann_ids) + 1))
        num_classes = TINY['num_classes']
        assert [c['id'] for c in d['categories']] == list(range(1, num_classes + 1))
        assert len({c['name'] for c in d['categories']}) == TINY['num_classes']
        ids = {i['id'] for i in d['images']}
        assert all(a['image_id'] in ids for a in d['annotations'])
    assert data['train']['categories'] == data['val']['categories']


def test_category_fields_and_counts(toy):
    _, data = toy
    anns = data['train']['annotations']
    instances = Counter(a['category_id'] for a in anns)
    images = Counter(c for c, _ in {(a['category_id'], a['image_id']) for a in anns})
    for c in data['val']['categories']:  # the val file carries the TRAIN statistics
        assert {'id', 'name', 'synset', 'synonyms', 'def', 'frequency', 'image_count',
                'instance_count'} <= set(c)
        assert c['instance_count'] == instances[c['id']] > 0
        assert c['image_count'] == images[c['id']] > 0
        assert c['frequency'] == frequency_of_image_count(c['image_count'])
        colour, texture, shape = c['name'].split('_')
        assert colour in COLOURS and texture in TEXTURES and shape in SHAPES


def test_val_has_every_category(toy):
    _, data = toy
    val = Counter(a['category_id'] for a in data['val']['annotations'])
    assert set(val) == {c['id'] for c in data['val']['categories']}


def test_geometry_bbox_area(toy):
    _, data = toy
    for d in data.values():
        images = {i['id']: i for i in d['images']}
        for ann in d['annotations']:
            img = images[ann['image_id']]
            mask = _mask(ann, img)
            assert ann['area'] == mask.sum() > 0
            ys, xs = np.nonzero(mask)
            tight = [xs.min(), ys.min(), xs.max() + 1 - xs.min(), ys.max() + 1 - ys.min()]
            assert np.abs(np.array(ann['bbox']) - tight).max() <= 1
            # same frame as the polygons (sharp tips may cover no pixel centre)
            pts = np.concatenate([np.reshape(p, (-1, 2)) for p in ann['segmentation']])
            x, y, w, h = ann['bbox']
            assert (np.abs(np.r_[pts.min(0) - [x, y], pts.max(0) - [x + w, y + h]])
                    <= 2.5).all()
            assert all(len(p) >= 6 and len(p) % 2 == 0 for p in ann['segmentation'])
        # objects never overlap, so masks are exact
        per_image = defaultdict(list)
        for ann in d['annotations']:
            per_image[ann['image_id']].append(_mask(ann, images[ann['image_id']]))
        for masks in per_image.values():
            assert np.stack(masks).sum(0).max() == 1


def test_masks_match_drawn_pixels(toy):
    """The image colour inside each mask is the class colour (or its texture), and
    the pixels of that colour around the object are the mask (IoU)."""
    paths, data = toy
    ious = []
    for split, d in data.items():
        images = {i['id']: i for i in d['images']}
        names = {c['id']: c['name'] for c in d['categories']}
        for ann in d['annotations']:
            img = images[ann['image_id']]
            rgb = cv2.imread(str(Path(paths[f'{split}_img_dir']) / img['file_name']))
            rgb = rgb[..., ::-1].astype(float)
            colour = np.array(COLOURS[names[ann['category_id']].split('_')[0]])
            near = np.minimum(np.linalg.norm(rgb - colour, axis=2),
                              np.linalg.norm(rgb - TEXTURE_RGB, axis=2)) < 80
            mask = _mask(ann, img)
            assert near[mask].mean() > 0.95
            x, y, w, h = (int(v) for v in ann['bbox'])
            win = (slice(max(0, y - 2), y + h + 2), slice(max(0, x - 2), x + w + 2))
            ious.append((mask[win] & near[win]).sum() / (mask[win] | near[win]).sum())
    ious = np.array(ious)
    assert np.median(ious) > 0.98 and (ious > 0.9).mean() > 0.9


def test_negative_and_not_exhaustive(toy):
    _, data = toy
    for d in data.values():
        present = defaultdict(set)
        for a in d['annotations']:
            present[a['image_id']].add(a['category_id'])
        num_ne = 0
        for img in d['images']:
            neg = set(img['neg_category_ids'])
            ne = set(img['not_exhaustive_category_ids'])
            assert neg and not neg & present[img['id']] and not neg & ne
            assert ne <= present[img['id']]
            num_ne += bool(ne)
        assert num_ne > 0


def test_not_exhaustive_instances_are_drawn(toy):
    """Pixels of the not-exhaustive class's colour exist outside every annotation."""
    paths, data = toy
    for split, d in data.items():
        names = {c['id']: c['name'] for c in d['categories']}
        for img in d['images']:
            if not img['not_exhaustive_category_ids']:
                continue
            anns = [a for a in d['annotations'] if a['image_id'] == img['id']]
            covered = np.any([_mask(a, img) for a in anns], axis=0).astype(np.uint8)
            outside = cv2.dilate(covered, np.ones((3, 3), np.uint8)) == 0
            rgb = cv2.imread(str(Path(paths[f'{split}_img_dir']) / img['file_name']))
            name = names[img['not_exhaustive_category_ids'][0]]
            colour = np.array(COLOURS[name.split('_')[0]])
            near = np.minimum(np.linalg.norm(rgb[..., ::-1] - colour, axis=2),
                              np.linalg.norm(rgb[..., ::-1] - TEXTURE_RGB, axis=2)) < 60
            assert (near & outside).sum() >= 30


def test_official_lvis_api_loads_and_scores_ground_truth(toy, monkeypatch):
    monkeypatch.setattr(np, 'float', float, raising=False)  # lvis 0.5.3, numpy >= 1.24
    lvis = pytest.importorskip('lvis')
    paths, _ = toy
    for split in ('train', 'val'):
        gt = lvis.LVIS(paths[f'{split}_ann_file'])
        assert len(gt.get_img_ids()) == TINY[f'num_{split}_images']
    dets = []
    for ann in gt.load_anns(gt.get_ann_ids()):
        rle = gt.ann_to_rle(ann)
        rle['counts'] = rle['counts'].decode()
        dets.append(dict(image_id=ann['image_id'], category_id=ann['category_id'],
                         bbox=ann['bbox'], segmentation=rle, score=1.0))
    for iou_type in ('segm', 'bbox'):
        ev = lvis.LVISEval(gt, lvis.LVISResults(gt, dets), iou_type)
        ev.run()
        assert ev.get_results()['AP'] == pytest.approx(1.0)


def test_deterministic(toy, tmp_path):
    paths, _ = toy
    same = make_toy_lvis(tmp_path / 'same', seed=0, **TINY)
    assert _files(same['data_root']) == _files(paths['data_root'])
    other = _files(make_toy_lvis(tmp_path / 'other', seed=1, **TINY)['data_root'])
    ref = _files(paths['data_root'])
    train_json = 'annotations/lvis_toy_train.json'
    assert other[train_json] != ref[train_json]
    assert other['train2017/000000000001.jpg'] != ref['train2017/000000000001.jpg']


def test_many_tiny_val_images(tmp_path):
    paths = make_toy_lvis(tmp_path, num_classes=20, num_train_images=40,
                          num_val_images=300, image_size=(96, 96),
                          val_image_size=(48, 48))
    stats = summarize_split(paths['val_ann_file'])
    assert stats['images'] == 300 and sum(stats['frequency'].values()) == 20
    assert [b['bin'] for b in stats['bins']] == ['[0,10)', '[10,100)', '[100,1000)',
                                                 '[1000,inf)']
    assert sum(b['classes'] for b in stats['bins']) == 20
    assert sum(b['instances'] for b in stats['bins']) == stats['annotations']
    val = json.loads(Path(paths['val_ann_file']).read_text())
    assert {a['category_id'] for a in val['annotations']} == set(range(1, 21))
    assert {(i['height'], i['width']) for i in val['images']} == {(48, 48)}


def test_cli(tmp_path):
    out = subprocess.run(
        [sys.executable, str(REPO / 'tools/misc/make_toy_lvis.py'), str(tmp_path),
         '--num-classes', '8', '--num-train-images', '20', '--num-val-images', '10',
         '--image-size', '64', '80', '--seed', '3'],
        cwd=tmp_path, env=tool_env(), capture_output=True, text=True, check=True).stdout
    assert 'rare' in out and '[0,10)' in out and 'generated in' in out
    val = json.loads((tmp_path / 'annotations/lvis_toy_val.json').read_text())
    assert val['info']['generator']['seed'] == 3
    assert {(i['height'], i['width']) for i in val['images']} == {(64, 80)}
