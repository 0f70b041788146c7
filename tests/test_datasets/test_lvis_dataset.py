"""Tests of the LVIS / COCO-format datasets (mmdet/datasets/lvis.py).

Expected values are computed by hand from the annotation json (toy LVIS data from
``make_toy_lvis`` and tiny hand-written files for the edge cases).
"""
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from mmdet.datasets import CocoDataset, LVISDataset
from mmdet.datasets import lvis as lvis_module
from mmdet.testing import make_toy_lvis
from mmdet.datasets.transforms import (LoadAnnotations, LoadImageFromFile, PackDetInputs,
                                       RandomFlip, Resize)
from mmdet.registry import DATASETS

TOY_SIZE = (48, 80)  # (H, W): not square, so that a swapped width/height shows


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    paths = make_toy_lvis(tmp_path_factory.mktemp('toy'), num_classes=16,
                          num_train_images=30, num_val_images=10, image_size=TOY_SIZE,
                          seed=0, lvis_stats_file=False)
    data = {s: json.loads(Path(paths[f'{s}_ann_file']).read_text()) for s in ('train', 'val')}
    return paths, data


def _image(img_id, w=100, h=80, split='train2017'):
    return dict(id=img_id, width=w, height=h, file_name=f'{img_id:012d}.jpg',
                coco_url=f'http://images.cocodataset.org/{split}/{img_id:012d}.jpg')


def _ann(ann_id, img_id, cat_id, bbox, area=None):
    x, y, w, h = bbox
    return dict(id=ann_id, image_id=img_id, category_id=cat_id, bbox=list(bbox),
                area=w * h if area is None else area,
                segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]])


def _write(path, images, annotations, categories):
    path.write_text(json.dumps(dict(images=images, annotations=annotations,
                                    categories=categories)))
    return str(path)


def _dataset(cls=None, **kwargs):
    """A dataset without mmengine's serialization, whose gc.collect() costs ~0.5 s per
    dataset in a process holding torch (the full-pipeline tests keep it)."""
    return (cls or LVISDataset)(serialize_data=False, **kwargs)


CATS = [dict(id=9, name='zebra', frequency='r'), dict(id=3, name='cat', frequency='f'),
        dict(id=7, name='horse', frequency='c')]  # file order is not id order


# ------------------------------------------------------------------------ paths
@pytest.mark.parametrize('split', ['train', 'val'])
def test_image_paths_resolve_from_coco_url(toy, split):
    paths, data = toy
    root = Path(paths['data_root'])
    ds = LVISDataset(ann_file=paths[f'{split}_ann_file'], data_root=paths['data_root'])
    assert len(ds) == len(data[split]['images'])
    for i, img in enumerate(sorted(data[split]['images'], key=lambda im: im['id'])):
        info = ds.get_data_info(i)
        assert info['img_id'] == img['id']
        assert Path(info['img_path']) == root / f'{split}2017' / img['file_name']
        assert Path(info['img_path']).is_file()
        assert (info['width'], info['height']) == (img['width'], img['height'])
        assert info['neg_category_ids'] == img['neg_category_ids']


def test_image_paths_with_explicit_data_prefix(toy, tmp_path):
    paths, data = toy
    root = Path(paths['data_root'])
    expected = root / 'val2017' / data['val']['images'][0]['file_name']
    variants = [
        # relative annotation file and empty prefix, both under data_root
        dict(ann_file='annotations/lvis_toy_val.json', data_root=str(root),
             data_prefix=dict(img='')),
        # absolute prefix, no data_root
        dict(ann_file=paths['val_ann_file'], data_prefix=dict(img=str(root))),
        # relative prefix joined onto data_root
        dict(ann_file=paths['val_ann_file'], data_root=str(root.parent),
             data_prefix=dict(img=root.name)),
    ]
    for kwargs in variants:
        ds = _dataset(**kwargs)
        assert Path(ds.get_data_info(0)['img_path']) == expected, kwargs
        assert expected.is_file()


def test_registered_aliases(toy):
    paths, _ = toy
    for name in ('LVISDataset', 'LVISV05Dataset', 'LVISV1Dataset'):
        ds = DATASETS.build(dict(type=name, ann_file=paths['val_ann_file'],
                                 data_root=paths['data_root'], test_mode=True,
                                 serialize_data=False))
        assert isinstance(ds, LVISDataset)
        assert Path(ds.get_data_info(0)['img_path']).is_file()


def test_coco_dataset_path_from_file_name(tmp_path):
    (tmp_path / 'images').mkdir()
    images = [dict(id=4, width=30, height=20, file_name='a/b.png',
                   coco_url='http://x/train2017/ignored.jpg'),
              dict(id=2, width=30, height=20, file_name='c.png')]
    ann = _write(tmp_path / 'coco.json', images,
                 [_ann(1, 4, 3, [1, 2, 10, 5]), _ann(2, 2, 9, [0, 0, 4, 4])], CATS)
    ds = _dataset(CocoDataset, ann_file=ann, data_root=str(tmp_path),
                  data_prefix=dict(img='images/'))
    assert [ds.get_data_info(i)['img_path'] for i in range(2)] == [
        str(tmp_path / 'images' / 'c.png'), str(tmp_path / 'images' / 'a' / 'b.png')]
    ds = _dataset(CocoDataset, ann_file=ann, data_root=str(tmp_path))
    assert Path(ds.get_data_info(1)['img_path']) == tmp_path / 'a' / 'b.png'
    assert ds.metainfo['classes'] == ('cat', 'horse', 'zebra')
    assert ds.get_data_info(1)['instances'][0]['bbox'] == [1, 2, 11, 7]
    assert ds.get_data_info(1)['instances'][0]['bbox_label'] == 0


# -------------------------------------------------------------- records content
def test_classes_labels_and_boxes_match_the_json(toy):
    paths, data = toy
    raw = data['train']
    ds = _dataset(ann_file=paths['train_ann_file'], data_root=paths['data_root'])
    cats = sorted(raw['categories'], key=lambda c: c['id'])
    assert ds.metainfo['classes'] == tuple(c['name'] for c in cats)
    assert ds.metainfo['cat_ids'] == tuple(c['id'] for c in cats)
    assert ds.metainfo['frequencies'] == tuple(c['frequency'] for c in cats)
    label_of = {c['id']: i for i, c in enumerate(cats)}
    by_image = {}
    for a in raw['annotations']:
        by_image.setdefault(a['image_id'], []).append(a)
    total = 0
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        anns = by_image.get(info['img_id'], [])
        assert len(info['instances']) == len(anns)
        for inst, a in zip(info['instances'], anns):
            x, y, w, h = a['bbox']
            assert inst['bbox'] == [x, y, x + w, y + h]
            assert inst['bbox_label'] == label_of[a['category_id']]
            assert 0 <= inst['bbox_label'] < len(cats)
            assert inst['ignore_flag'] == 0
            assert inst['mask'] == a['segmentation']
        total += len(anns)
    assert total == len(raw['annotations'])
    assert ds.num_skipped_annotations == {}


def test_labels_are_zero_based_in_id_order(tmp_path):
    ann = _write(tmp_path / 'a.json', [_image(1)],
                 [_ann(1, 1, 7, [1, 1, 5, 5]), _ann(2, 1, 3, [2, 2, 5, 5]),
                  _ann(3, 1, 7, [3, 3, 5, 5]), _ann(4, 1, 9, [4, 4, 5, 5])], CATS)
    ds = _dataset(ann_file=ann)
    assert ds.metainfo['classes'] == ('cat', 'horse', 'zebra')  # ids 3, 7, 9
    assert [i['bbox_label'] for i in ds.get_data_info(0)['instances']] == [1, 0, 1, 2]
    assert ds.get_cat_ids(0) == [1, 0, 1, 2]
    assert ds.get_data_info(0)['instances'][3]['bbox'] == [4, 4, 9, 9]


def test_crowd_and_ignore_annotations_are_flagged(tmp_path):
    anns = [_ann(1, 1, 3, [1, 1, 5, 5]), dict(_ann(2, 1, 3, [2, 2, 5, 5]), iscrowd=1),
            dict(_ann(3, 1, 7, [3, 3, 5, 5]), ignore=1)]
    ds = _dataset(ann_file=_write(tmp_path / 'a.json', [_image(1)], anns, CATS))
    assert [i['ignore_flag'] for i in ds.get_data_info(0)['instances']] == [0, 1, 1]


def test_get_cat_ids_on_toy(toy):
    paths, data = toy
    ds = _dataset(ann_file=paths['val_ann_file'], data_root=paths['data_root'])
    cat_ids = sorted(c['id'] for c in data['val']['categories'])
    for i in range(len(ds)):
        img_id = ds.get_data_info(i)['img_id']
        expected = [cat_ids.index(a['category_id']) for a in data['val']['annotations']
                    if a['image_id'] == img_id]
        assert ds.get_cat_ids(i) == expected


# -------------------------------------------------------------------- filtering
@pytest.fixture
def filter_file(tmp_path):
    images = [_image(1, 100, 80),   # one instance, large
              _image(2, 100, 80),   # no annotation
              _image(3, 30, 100),   # one instance, short side 30
              _image(4, 100, 80),   # only an invalid annotation (zero width)
              _image(5, 40, 40)]    # no annotation, small
    anns = [_ann(1, 1, 3, [1, 1, 10, 10]), _ann(2, 3, 7, [1, 1, 10, 10]),
            _ann(3, 4, 9, [1, 1, 0, 10])]
    return _write(tmp_path / 'filter.json', images, anns, CATS)


@pytest.mark.parametrize('filter_cfg,expected', [
    (None, [1, 2, 3, 4, 5]),
    (dict(filter_empty_gt=True), [1, 3]),
    (dict(min_size=32), [1, 2, 4, 5]),
    (dict(min_size=41), [1, 2, 4]),
    (dict(filter_empty_gt=True, min_size=32), [1]),
    (dict(filter_empty_gt=False, min_size=0), [1, 2, 3, 4, 5]),
])
def test_filter_cfg(filter_file, filter_cfg, expected):
    ds = _dataset(ann_file=filter_file, filter_cfg=filter_cfg)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == expected
    ds = _dataset(ann_file=filter_file, filter_cfg=filter_cfg, test_mode=True)
    assert [ds.get_data_info(i)['img_id'] for i in range(len(ds))] == [1, 2, 3, 4, 5]


def test_filter_empty_gt_on_toy(toy, tmp_path):
    paths, data = toy
    raw = dict(data['train'])
    keep_images = {im['id'] for im in raw['images'][::2]}  # drop the anns of odd images
    raw['annotations'] = [a for a in raw['annotations'] if a['image_id'] in keep_images]
    ann = tmp_path / 'half.json'
    ann.write_text(json.dumps(raw))
    ds = _dataset(ann_file=str(ann), data_root=paths['data_root'],
                     filter_cfg=dict(filter_empty_gt=True, min_size=32))
    assert {ds.get_data_info(i)['img_id'] for i in range(len(ds))} == keep_images
    with pytest.raises(ValueError, match=r'half\.json: no training image left after '
                       'filtering 30 images'):
        _dataset(ann_file=str(ann), data_root=paths['data_root'],
                 filter_cfg=dict(filter_empty_gt=True, min_size=TOY_SIZE[0] + 1))


# ------------------------------------------------------------- bad annotations
def test_bad_annotations_are_skipped_and_counted_once(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(lvis_module, 'print_log',
                        lambda msg, *a, **k: logged.append((msg, k.get('level'))))
    anns = [_ann(1, 1, 3, [10, 10, 20, 20]),             # good
            _ann(2, 1, 3, [10, 10, 0, 20]),              # zero width
            _ann(3, 1, 7, [10, 10, 20, -1]),             # negative height
            _ann(4, 1, 7, [10, 10, 20, 20], area=0),     # zero area
            _ann(5, 1, 99, [10, 10, 20, 20]),            # unknown category
            _ann(6, 1, 3, [100, 10, 20, 20]),            # right of the image (w=100)
            _ann(7, 2, 9, [-30, 5, 30, 20]),             # left of the image
            _ann(8, 2, 9, [5, 80, 10, 10]),              # below the image (h=80)
            _ann(9, 2, 9, [90, 70, 20, 20])]             # partly outside: kept
    ann = _write(tmp_path / 'bad.json', [_image(1), _image(2)], anns, CATS)
    ds = _dataset(ann_file=ann)
    assert [i['bbox'] for i in ds.get_data_info(0)['instances']] == [[10, 10, 30, 30]]
    assert [i['bbox'] for i in ds.get_data_info(1)['instances']] == [[90, 70, 110, 90]]
    assert ds.num_skipped_annotations == {'with a non-positive size': 3,
                                          'with an unknown category id': 1,
                                          'outside their image': 3}
    warnings = [msg for msg, level in logged if level == 30]
    assert len(warnings) == 1
    assert ann in warnings[0] and 'skipped 7 annotations' in warnings[0]


def test_instance_counts_count_every_annotation_and_write_nothing(tmp_path):
    """The metainfo's training counts are lvis_api's (every annotation of a known
    category, skipped ones included); nothing is written beside the annotation file."""
    anns = [_ann(1, 1, 3, [10, 10, 20, 20]), _ann(2, 1, 3, [10, 10, 0, 20]),  # degenerate
            _ann(3, 2, 9, [-30, 5, 30, 20]),  # outside its image
            _ann(4, 2, 99, [10, 10, 20, 20])]  # unknown category: not counted
    folder = tmp_path / 'data'
    folder.mkdir()
    ann = _write(folder / 'train.json', [_image(1), _image(2)], anns, CATS)
    ds = _dataset(ann_file=ann)
    by_id = dict(zip(ds.metainfo['cat_ids'], ds.metainfo['instance_counts']))
    assert by_id == {3: 2, 7: 0, 9: 1}
    assert sorted(p.name for p in folder.iterdir()) == ['train.json']


def test_clean_file_logs_no_warning(tmp_path, monkeypatch):
    logged = []
    monkeypatch.setattr(lvis_module, 'print_log', lambda msg, *a, **k: logged.append(msg))
    ds = _dataset(ann_file=_write(tmp_path / 'ok.json', [_image(1)],
                                     [_ann(1, 1, 3, [1, 1, 5, 5])], CATS))
    assert ds.num_skipped_annotations == {} and logged == []


def test_duplicate_annotation_ids_name_the_file(tmp_path):
    ann = _write(tmp_path / 'dup_anns.json', [_image(1)],
                 [_ann(1, 1, 3, [1, 1, 5, 5]), _ann(1, 1, 7, [2, 2, 5, 5])], CATS)
    with pytest.raises(ValueError, match='dup_anns.json') as err:
        _dataset(ann_file=ann)
    assert 'repeats id 1' in str(err.value)


def test_duplicate_image_ids_name_the_file(tmp_path):
    ann = _write(tmp_path / 'dup_imgs.json', [_image(1), _image(1)],
                 [_ann(1, 1, 3, [1, 1, 5, 5])], CATS)
    with pytest.raises(ValueError, match='dup_imgs.json'):
        _dataset(ann_file=ann)


# ----------------------------------------------------------------- image errors
@pytest.fixture
def broken_toy(toy, tmp_path):
    """A copy of the toy val split whose first image is missing and second undecodable."""
    paths, data = toy
    root = tmp_path / 'toy'
    shutil.copytree(Path(paths['data_root']) / 'val2017', root / 'val2017')
    images = sorted(data['val']['images'], key=lambda im: im['id'])
    (root / 'val2017' / images[0]['file_name']).unlink()
    (root / 'val2017' / images[1]['file_name']).write_bytes(b'\xff\xd8garbage')
    return root, images, paths['val_ann_file']


@pytest.mark.parametrize('test_mode', [True, False])
def test_missing_and_undecodable_images_name_file_and_id(broken_toy, test_mode):
    root, images, ann = broken_toy
    ds = _dataset(ann_file=ann, data_root=str(root), test_mode=test_mode,
                     pipeline=[LoadImageFromFile()])
    missing = str(root / 'val2017' / images[0]['file_name'])
    with pytest.raises(FileNotFoundError) as err:
        ds[0]
    assert missing in str(err.value) and f'image id {images[0]["id"]}' in str(err.value)
    bad = str(root / 'val2017' / images[1]['file_name'])
    with pytest.raises(ValueError) as err:
        ds[1]
    assert bad in str(err.value) and f'image id {images[1]["id"]}' in str(err.value)
    assert ds[2]['img'].shape == (*TOY_SIZE, 3)


# ---------------------------------------------------------------- full pipeline
def _tight_box(mask):
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_full_pipeline_boxes_and_masks_agree(toy, direction):
    paths, data = toy
    scale = (200, 120)  # 80x48 -> factor min(200/80, 120/48) = 2.5 -> 200x120
    pipeline = [LoadImageFromFile(), LoadAnnotations(with_mask=True), Resize(scale=scale),
                RandomFlip(prob=1.0, direction=direction), PackDetInputs()]
    ds = LVISDataset(ann_file=paths['train_ann_file'], data_root=paths['data_root'],
                     pipeline=pipeline)
    plain = _dataset(ann_file=paths['train_ann_file'], data_root=paths['data_root'])
    H, W = TOY_SIZE
    new_h, new_w = 120, 200
    for idx in range(0, len(ds), 3):
        out = ds[idx]
        info = plain.get_data_info(idx)
        inputs, sample = out['inputs'], out['data_samples']
        assert inputs.dtype == torch.uint8 and inputs.shape == (3, new_h, new_w)
        assert sample.img_shape == (new_h, new_w) and sample.ori_shape == (H, W)
        assert sample.scale_factor == (2.5, 2.5)
        assert sample.flip is True and sample.flip_direction == direction
        assert sample.img_id == info['img_id']
        # the image is the resized original, flipped
        img = cv2.imread(info['img_path'])
        ref = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        ref = ref[:, ::-1] if direction == 'horizontal' else ref[::-1]
        np.testing.assert_array_equal(inputs.numpy().transpose(1, 2, 0), ref)
        gt = sample.gt_instances
        assert len(gt) == len(info['instances']) > 0
        assert gt.masks.shape == (len(gt), new_h, new_w) and gt.masks.dtype == torch.uint8
        assert gt.labels.tolist() == [i['bbox_label'] for i in info['instances']]
        for box, mask, inst in zip(gt.bboxes.numpy(), gt.masks.numpy(), info['instances']):
            x1, y1, x2, y2 = np.array(inst['bbox']) * 2.5
            if direction == 'horizontal':
                expected = [new_w - x2, y1, new_w - x1, y2]
            else:
                expected = [x1, new_h - y2, x2, new_h - y1]
            np.testing.assert_allclose(box, expected, atol=1e-4)
            # the mask's own box agrees with the box up to the nearest-neighbour step
            np.testing.assert_allclose(_tight_box(mask), box, atol=2.5)


def test_semantic_maps_are_found_loaded_resized_flipped_and_padded(tmp_path):
    """COCO-stuff-style maps (HTC): data_prefix['seg'] + the image's relative path as .png,
    then through the pipeline beside the image, and padded with 255 in the batch."""
    from mmdet.models.data_preprocessors import DetDataPreprocessor
    root = tmp_path / 'data'
    (root / 'train2017').mkdir(parents=True)
    (root / 'stuff' / 'train2017').mkdir(parents=True)
    h, w = 30, 50
    rng = np.random.default_rng(0)
    cv2.imwrite(str(root / 'train2017' / f'{7:012d}.jpg'),
                rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
    seg = rng.integers(0, 11, (h, w), dtype=np.uint8)
    seg[:, :5] = 255
    cv2.imwrite(str(root / 'stuff' / 'train2017' / f'{7:012d}.png'), seg)
    ann = _write(tmp_path / 'train.json', [_image(7, w=w, h=h)],
                 [_ann(1, 7, 1, (5, 5, 20, 10))], [dict(id=1, name='a', frequency='f')])
    dataset = LVISDataset(ann_file=ann, data_root=str(root),
                          data_prefix=dict(img='', seg='stuff/'), test_mode=True,
                          pipeline=[LoadImageFromFile(),
                                    LoadAnnotations(with_bbox=True, with_seg=True),
                                    Resize(scale=(100, 60), keep_ratio=True),
                                    RandomFlip(prob=1.0), PackDetInputs()])
    info = dataset.get_data_info(0)
    assert info['seg_map_path'] == str(root / 'stuff' / 'train2017' / f'{7:012d}.png')
    item = dataset[0]
    sem = item['data_samples'].gt_sem_seg.sem_seg
    expected = cv2.resize(seg, (100, 60), interpolation=cv2.INTER_NEAREST)[:, ::-1]
    assert sem.shape == (1, 60, 100) == (1, *item['inputs'].shape[1:])
    assert torch.equal(sem[0], torch.from_numpy(expected.copy()))
    batch = DetDataPreprocessor(pad_size_divisor=32, pad_seg=True)(
        dict(inputs=[item['inputs']], data_samples=[item['data_samples']]))
    padded = batch['data_samples'][0].gt_sem_seg.sem_seg
    assert padded.shape == (1, 64, 128) == (1, *batch['inputs'].shape[-2:])
    assert torch.equal(padded[:, :60, :100], sem) and (padded[:, 60:] == 255).all()
    # a missing map is named
    (root / 'stuff' / 'train2017' / f'{7:012d}.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'cannot read the semantic map .*000000000007\.png'):
        dataset[0]
