"""A generated toy long-tail instance segmentation dataset in LVIS format.

``make_toy_lvis(out_dir)`` writes ``annotations/lvis_toy_{train,val}.json`` and the
images ``{train,val}2017/{id:012d}.jpg``, laid out like LVIS on COCO images, so that
the whole pipeline (Mask R-CNN, SimCal calibration, LVIS AP with APr/APc/APf and the
training-count bins) runs on a laptop CPU in minutes.

Classes are ``colour x texture x shape`` (e.g. ``red_striped_star``): 8 colours,
4 textures (solid, striped, dotted, checkered) and 8 shapes, drawn with OpenCV-free
polygon rasterisation on a noisy gradient background with translucent distractor blobs.
A tail class shares each of its three parts with head classes (the head classes are
chosen to cover every part), so it is learnable from a handful of examples, yet only
its combination identifies it. Objects never overlap, and every object is painted
through the pycocotools rasterisation of its own (2-decimal) polygon, so the annotated
mask is exactly the painted pixels (up to JPEG).

The long tail follows LVIS v0.5 train: the toy classes take the image counts and
instances-per-image ratios of the real categories at evenly spaced quantiles (from
``lvis_v0.5_train_categories.json`` when present, else a built-in 21-point table of the
same curve). Counts up to 100 images are kept as they are, so the frequency groups
(LVIS rule, from the TRAIN image counts: rare <= 10 images, common 11-100, frequent
> 100) come out in LVIS's proportions (454/461/315 of 1230); the head is compressed
(``100 * (n / 100) ** gamma``) to fit ``mean_objects_per_image``. The val split is
flatter (instances ~ sqrt of the train count, at least ``min_val_instances`` per
class) and contains every class. Both splits carry ``neg_category_ids`` (classes
verified absent) and ``not_exhaustive_category_ids`` (a present class with some of its
drawn instances left unannotated).

Defaults: 50 classes (18 r / 19 c / 13 f), 1500 train and 250 val images of 160x160
with 1-10 objects (about 6 on average) of 16-80 px. A ResNet-18 Mask R-CNN at reduced
width sees ~1 epoch in ~5 CPU minutes; frequent classes get 100s of images and are
learnt, rare ones 1-10, which is the long-tail effect SimCal targets. The head keeps
~300-500 images per class and ~1000 instances for the top classes, so all four SimCal
bins [0,10), [10,100), [100,1000), [1000,inf) are populated. It takes seconds to
generate. Generation is deterministic: the same arguments give byte-identical files.
"""
import json
import math
from pathlib import Path

import cv2
import numpy as np
from pycocotools import mask as mask_utils

COLOURS = {  # RGB
    'red': (215, 35, 35), 'green': (40, 180, 60), 'blue': (40, 80, 225),
    'yellow': (235, 215, 40), 'magenta': (210, 50, 200), 'cyan': (40, 205, 215),
    'orange': (245, 135, 25), 'white': (240, 240, 240)}
TEXTURES = ('solid', 'striped', 'dotted', 'checkered')
SHAPES = ('circle', 'square', 'triangle', 'diamond', 'star', 'cross', 'ring', 'crescent')
TEXTURE_RGB = (20, 20, 20)  # the dark colour of stripes, dots and checks
SIMCAL_BINS = (0, 10, 100, 1000, math.inf)  # training instance-count bins (AP1..AP4)
LVIS_STATS_FILE = (Path(__file__).resolve().parents[2].parent /
                   'shared/data/lvis_v0.5_train_categories.json')
# LVIS v0.5 train: image_count at quantiles 0, 5, ..., 100 % (classes sorted by image
# count, descending) and the median instances per image around each quantile.
_CURVE_IMAGES = (1145, 1074, 694, 361, 179, 108, 68, 47, 34, 26, 21, 17, 12, 9, 7, 5,
                 4, 3, 2, 1, 1)
_CURVE_RATIO = (2.78, 2.39, 2.6, 2.13, 1.98, 2.02, 2.37, 2.09, 2.16, 1.7, 1.68, 2.29,
                2.0, 2.25, 1.57, 1.6, 2.0, 1.33, 1.5, 2.0, 1.0)


def frequency_group(image_count):
    """LVIS's rule: rare <= 10 training images, common 11-100, frequent > 100."""
    return 'r' if image_count <= 10 else ('c' if image_count <= 100 else 'f')


def simcal_bin(instance_count):
    """Index of the SimCal training instance-count bin (0..3)."""
    return next(i for i in range(4) if instance_count < SIMCAL_BINS[i + 1])


def load_long_tail_curve(lvis_stats_file=None):
    """(quantiles, image counts, instances per image) of LVIS v0.5 train, head first.

    ``lvis_stats_file``: None uses the default file if it exists, else the built-in
    table; False forces the built-in table; a path must exist.
    """
    path = LVIS_STATS_FILE if lvis_stats_file is None else lvis_stats_file
    if path is not False and (lvis_stats_file is not None or Path(path).is_file()):
        cats = json.loads(Path(path).read_text())['categories']
        cats = sorted(cats, key=lambda c: (-c['image_count'], -c['instance_count']))
        img = np.array([max(c['image_count'], 1) for c in cats], float)
        ratio = np.array([c['instance_count'] for c in cats]) / img
        return (np.arange(len(img)) + 0.5) / len(img), img, ratio, Path(path).name
    q = np.linspace(0, 1, len(_CURVE_IMAGES))
    return q, np.array(_CURVE_IMAGES, float), np.array(_CURVE_RATIO), 'builtin'


def _bisect(fits, lo=0.0, hi=1.0, steps=30):
    """Largest x in [lo, hi] with fits(x), fits being monotone (lo if none)."""
    if fits(hi):
        return hi
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def plan_train_counts(num_classes, num_images, curve, mean_objects=6.0,
                      max_ratio=2.5, max_class_frac=0.5, knee=100):
    """Training (image_count, instance_count) per class, head first (int arrays)."""
    q_curve, img_curve, ratio_curve = curve[:3]
    q = (np.arange(num_classes) + 0.5) / num_classes
    img0 = np.round(np.exp(np.interp(q, q_curve, np.log(img_curve))))
    ratio = np.clip(np.interp(q, q_curve, ratio_curve), 1.0, max_ratio)
    cap = max(1, int(max_class_frac * num_images))
    budget = num_images * mean_objects

    def counts(gamma, beta=1.0):  # compress the head, then (if need be) everything
        img = np.where(img0 > knee, np.maximum(knee + 1, np.round(
            knee * (img0 / knee) ** gamma)), img0)
        img = np.clip(np.round(img ** beta), 1, cap)
        return img.astype(int), np.maximum(img, np.round(img * ratio)).astype(int)

    gamma = _bisect(lambda g: counts(g)[1].sum() <= budget)
    beta = _bisect(lambda b: counts(gamma, b)[1].sum() <= budget)
    return counts(gamma, beta)


def plan_val_counts(train_img, train_inst, num_images, mean_objects=6.0,
                    min_instances=3, alpha=0.5):
    """Val (image_count, instance_count) per class: flatter, every class present."""
    budget = num_images * mean_objects
    min_instances = int(max(1, min(min_instances, budget // len(train_inst))))
    base = np.asarray(train_inst, float) ** alpha

    def inst(s):
        return np.maximum(min_instances, np.round(s * base)).astype(int)
    inst = inst(_bisect(lambda s: inst(s).sum() <= budget, 0.0, budget))
    ratio = np.maximum(1.0, np.asarray(train_inst) / np.asarray(train_img))
    img = np.clip(np.round(inst / ratio), 1, np.minimum(inst, num_images)).astype(int)
    return img, inst


def assign_to_images(img_counts, inst_counts, num_images, capacity, rng):
    """Distribute each class's instances over its images; list of class lists."""
    load = np.zeros(num_images, int)
    objects = [[] for _ in range(num_images)]
    for c in sorted(range(len(img_counts)), key=lambda c: -img_counts[c]):
        free = np.flatnonzero(load < capacity)
        w = (capacity - load[free]).astype(float) ** 2
        chosen = rng.choice(free, min(img_counts[c], len(free)), replace=False,
                            p=w / w.sum())
        for i in chosen:
            load[i] += 1
            objects[i].append(c)
        for _ in range(inst_counts[c] - len(chosen)):
            room = chosen[load[chosen] < capacity]
            if not len(room):
                break
            i = rng.choice(room)
            load[i] += 1
            objects[i].append(c)
    head = np.flatnonzero(np.asarray(img_counts) > 100)
    head = head if len(head) else [int(np.argmax(img_counts))]
    for i in np.flatnonzero(load == 0):  # no empty images: add a head class
        objects[i].append(int(rng.choice(head)))
    return objects


def _arc(angles, r=1.0, cx=0.0):
    return np.stack([cx + r * np.cos(angles), r * np.sin(angles)], 1)


def _unit_shape(shape):
    """Polygons of a shape inside [-1, 1]^2 (y down, so the triangle points up)."""
    if shape == 'circle':
        return [_arc(np.linspace(0, 2 * np.pi, 40, endpoint=False))]
    if shape == 'square':
        return [np.array([[-.85, -.85], [.85, -.85], [.85, .85], [-.85, .85]])]
    if shape == 'triangle':
        return [_arc(np.array([-.5, 1 / 6, 5 / 6]) * np.pi) + [0, .2]]
    if shape == 'diamond':  # a tall rhombus, not a rotated square
        return [np.array([[0, -1], [.6, 0], [0, 1], [-.6, 0]])]
    if shape == 'star':
        return [_arc(np.linspace(-.5, 1.5, 10, endpoint=False) * np.pi,
                     np.tile([1, .45], 5))]
    if shape == 'cross':
        a = 0.3
        return [np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1],
                          [-a, 1], [-a, a], [-1, a], [-1, -a], [-a, -a]])]
    if shape == 'ring':  # two overlapping half annuli: COCO polygons have no holes
        return [np.concatenate([_arc(np.linspace(a, a + np.pi + .1, 22)),
                                _arc(np.linspace(a + np.pi + .1, a, 22), .55)])
                for a in (-.05, np.pi - .05)]
    if shape == 'crescent':  # outer arc 60..300 deg, back along the circle of radius
        r = np.sin(np.pi / 3)  # sin(60) centred at (.5, 0) through both arc ends
        return [np.concatenate([
            _arc(np.linspace(np.pi / 3, 5 * np.pi / 3, 30)),
            _arc(np.linspace(1.5 * np.pi, .5 * np.pi, 24)[1:-1], r, .5)])]
    raise ValueError(f'unknown shape {shape!r}')


def shape_polygons(shape, cx, cy, size, angle=0.0, aspect=1.0):
    """Polygons ((N, 2) arrays) of ``shape`` centred at (cx, cy), ~size px across."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return [p * [aspect * size / 2, size / 2] @ rot.T + [cx, cy]
            for p in _unit_shape(shape)]
