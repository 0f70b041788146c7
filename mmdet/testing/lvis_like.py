"""An LVIS-like training set for timing data pipelines: JPEG images at COCO's usual sizes
with textured content (decoding costs what a photo's does) and an LVIS v0.5 annotation
file of polygon instances, about 12 per image; most polygons have 8-40 vertices, some
hundreds, some objects several parts, and one image in a hundred (at least one) is
crowded with ``max_instances`` small objects. Used by
``tools/analysis/benchmark_data_pipeline.py`` and the pipeline's exactness tests."""
import json
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from .toy_lvis.coco_format import lvis_to_coco
from .toy_lvis.shapes import arc

# COCO's most common image sizes (w, h) and roughly how often they occur
COCO_SIZES = [((640, 480), 30), ((480, 640), 12), ((640, 427), 14), ((427, 640), 6),
              ((640, 426), 5), ((640, 424), 4), ((500, 375), 5), ((375, 500), 3),
              ((640, 360), 4), ((640, 512), 3), ((612, 612), 2), ((640, 640), 2),
              ((500, 333), 1), ((333, 500), 1)]
# LVIS v0.5's categories by frequency group: 315 frequent, 461 common, 454 rare
FREQUENCIES = (('f', 315), ('c', 461), ('r', 454))


def textured_image(rng, h: int, w: int) -> np.ndarray:
    """A BGR uint8 image with a photo's mix of smooth regions, edges and grain."""
    low = cv2.resize(rng.uniform(40, 215, (5, 7, 3)).astype(np.float32), (w, h),
                     interpolation=cv2.INTER_CUBIC)
    img = low + cv2.resize(rng.normal(0, 28, (h // 3, w // 3, 3)).astype(np.float32),
                           (w, h), interpolation=cv2.INTER_LINEAR)
    for _ in range(12):
        pts = (rng.uniform(0, 1, (5, 2)) * [w, h]).astype(np.int32)
        cv2.fillPoly(img, [pts], rng.uniform(-60, 60, 3).tolist())
    img += rng.normal(0, 10, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def blob_polygon(rng, cx, cy, radius, vertices, aspect, angle):
    """A star-shaped polygon of ``vertices`` points around (cx, cy), ``radius`` across
    with a random wobble, stretched by ``aspect`` and turned by ``angle``: (vertices, 2)
    x, y rounded to 2 decimals as in LVIS's files."""
    theta = np.sort(rng.uniform(0, 2 * np.pi, vertices))
    wobble = np.convolve(np.tile(rng.normal(0, 0.25, vertices), 3), np.ones(5) / 5,
                         'same')[vertices:2 * vertices]
    pts = arc(theta, radius * (1 + wobble).clip(0.3)) * [aspect, 1]
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.round(pts @ rot.T + [cx, cy], 2)


def instance_polygons(rng, h: int, w: int, crowded: bool):
    """One object's polygons (1-4 parts) clipped to the image: flat 2-decimal lists."""
    side = min(h, w)
    size = np.exp(rng.uniform(*sorted((np.log(6), np.log(side * (0.15 if crowded else 0.7))))))
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    kind = rng.random()
    vertices = (rng.integers(8, 40) if kind < 0.85 else rng.integers(100, 400) if kind < 0.97
                else rng.integers(400, 1000))
    parts = 1 if rng.random() < 0.8 else int(rng.integers(2, 5))
    polys = []
    for p in range(parts):
        r = size / 2 * (1 if p == 0 else rng.uniform(0.3, 0.7))
        dx, dy = (0, 0) if p == 0 else rng.normal(0, size / 2, 2)
        pts = blob_polygon(rng, cx + dx, cy + dy, r, max(3, int(vertices / (1 + p))),
                           rng.uniform(0.5, 2), rng.uniform(0, np.pi))
        pts = pts.clip(0, [w, h])
        polys.append([float(v) for v in pts.ravel()])
    return polys


def make_lvis_like(work_dir, num_images: int, seed: int = 0, max_instances: int = 300,
                   jpeg_quality: int = 90) -> dict:
    """Write ``train2017/<id>.jpg`` and ``annotations/lvis_v0.5_train.json`` (plus its
    COCO-format copy ``instances_train.json`` for mmdetection's CocoDataset) under
    ``work_dir``; returns their paths and the set's statistics."""
    rng = np.random.default_rng(seed)
    root = Path(work_dir)
    (root / 'train2017').mkdir(parents=True, exist_ok=True)
    (root / 'annotations').mkdir(exist_ok=True)
    sizes, weights = zip(*COCO_SIZES)
    weights = np.array(weights, float) / sum(weights)
    num_classes = sum(n for _, n in FREQUENCIES)
    class_p = 1 / np.arange(1, num_classes + 1)  # a long tail over the classes
    class_p /= class_p.sum()
    crowded = {i for i in range(num_images) if i % 100 == 50} or {num_images // 2}
    images, anns, jpeg_bytes, vertices = [], [], 0, []
    for i in range(num_images):
        w, h = sizes[rng.choice(len(sizes), p=weights)]
        image_id = 100_000 + 7 * i
        name = f'{image_id:012d}.jpg'
        ok, buf = cv2.imencode('.jpg', textured_image(rng, h, w),
                               [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        if not ok:
            raise RuntimeError(f'JPEG encoding failed for {name}')
        (root / 'train2017' / name).write_bytes(buf.tobytes())
        jpeg_bytes += len(buf)
        images.append(dict(id=image_id, width=w, height=h, file_name=f'COCO_train2014_{name}',
                           coco_url=f'http://images.cocodataset.org/train2017/{name}',
                           license=1, neg_category_ids=[], not_exhaustive_category_ids=[]))
        count = max_instances if i in crowded else min(int(rng.geometric(1 / 9)),
                                                       max_instances)
        while count:
            polys = instance_polygons(rng, h, w, i in crowded)
            rle = mask_utils.merge(mask_utils.frPyObjects(polys, h, w))
            bbox = [float(v) for v in mask_utils.toBbox(rle)]
            if bbox[2] < 1 or bbox[3] < 1:  # both datasets drop such boxes: draw again
                continue
            anns.append(dict(id=len(anns) + 1, image_id=image_id, segmentation=polys,
                             category_id=int(rng.choice(num_classes, p=class_p)) + 1,
                             area=int(mask_utils.area(rle)), bbox=bbox))
            vertices += [len(p) // 2 for p in polys]
            count -= 1
    categories = []
    for freq, n in FREQUENCIES:
        for _ in range(n):
            cat_id = len(categories) + 1
            categories.append({'id': cat_id, 'name': f'class_{cat_id:04d}', 'synonyms': [],
                               'synset': f'class_{cat_id:04d}.n.01', 'def': 'generated',
                               'frequency': freq})
    images_of = defaultdict(set)
    for a in anns:
        images_of[a['category_id']].add(a['image_id'])
    per_cat = Counter(a['category_id'] for a in anns)
    for cat in categories:
        cat.update(instance_count=per_cat[cat['id']], image_count=len(images_of[cat['id']]))
    lvis = dict(info=dict(description='LVIS-like set generated by benchmark_data_pipeline.py',
                          version='0.5'), licenses=[dict(id=1, name='CC0 1.0', url='')],
                images=images, annotations=anns, categories=categories)
    ann_file = root / 'annotations/lvis_v0.5_train.json'
    ann_file.write_text(json.dumps(lvis, separators=(',', ':')))
    coco = lvis_to_coco(lvis, crowd_fraction=0.0, seed=seed)
    for img in coco['images']:  # as mmdetection's LVISV05Dataset names the files
        img['file_name'] = img['file_name'][-16:]
    coco_file = root / 'annotations/instances_train.json'
    coco_file.write_text(json.dumps(coco, separators=(',', ':')))
    per_image = Counter(a['image_id'] for a in anns)
    return dict(data_root=str(root), ann_file=str(ann_file), coco_ann_file=str(coco_file),
                images=num_images, instances=len(anns), max_per_image=max(per_image.values()),
                crowded=len(crowded), polygons=len(vertices),
                median_vertices=int(np.median(vertices)), max_vertices=int(max(vertices)),
                many_vertices=int(sum(v >= 100 for v in vertices)),
                jpeg_kb=jpeg_bytes / num_images / 1024, classes=num_classes)
