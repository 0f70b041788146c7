"""The long tail: how many images and instances each class gets, and which image holds
which objects.

It follows LVIS v0.5 train: the toy classes take the image counts and instances-per-image
ratios of the real categories at evenly spaced quantiles. Counts up to 100 images are
kept as they are, so the frequency groups (LVIS's rule on the TRAIN image counts) come
out in LVIS's proportions (454/461/315 of 1230); the head is compressed
(``100 * (n / 100) ** gamma``) to fit the mean number of objects per image. The val
split is flatter (instances ~ sqrt of the train count) and contains every class.
"""
import json
from pathlib import Path
from typing import List, NamedTuple

import numpy as np

from lvis_api import frequency_of_image_count
from lvis_api.frequency import COMMON_MAX_IMAGES

LVIS_STATS_FILE = Path(__file__).resolve().parents[1] / 'data/lvis_v0.5_train_categories.json'
# The same curve as a 21-point table (used only when asked for with False): image_count
# at quantiles 0, 5, ..., 100 % (head first) and the median instances per image there.
_CURVE_IMAGES = (1145, 1074, 694, 361, 179, 108, 68, 47, 34, 26, 21, 17, 12, 9, 7, 5,
                 4, 3, 2, 1, 1)
_CURVE_RATIO = (2.78, 2.39, 2.6, 2.13, 1.98, 2.02, 2.37, 2.09, 2.16, 1.7, 1.68, 2.29,
                2.0, 2.25, 1.57, 1.6, 2.0, 1.33, 1.5, 2.0, 1.0)


class LongTailCurve(NamedTuple):
    quantiles: np.ndarray       # increasing, in [0, 1]
    image_counts: np.ndarray    # at those quantiles, head first
    instance_ratios: np.ndarray  # instances per image there
    source: str                 # the statistics file's name, or 'builtin'


def load_long_tail_curve(lvis_stats_file=None):
    """The LVIS v0.5 train curve from ``lvis_stats_file`` (None: the file shipped in
    mmdet/testing/data; False: the built-in table)."""
    if lvis_stats_file is False:
        return LongTailCurve(np.linspace(0, 1, len(_CURVE_IMAGES)),
                             np.array(_CURVE_IMAGES, float), np.array(_CURVE_RATIO),
                             'builtin')
    path = Path(LVIS_STATS_FILE if lvis_stats_file is None else lvis_stats_file)
    if not path.is_file():
        raise FileNotFoundError(f'LVIS category statistics file not found: {path}')
    cats = json.loads(path.read_text())['categories']
    cats = sorted(cats, key=lambda c: (-c['image_count'], -c['instance_count']))
    img = np.array([max(c['image_count'], 1) for c in cats], float)
    ratio = np.array([c['instance_count'] for c in cats]) / img
    return LongTailCurve((np.arange(len(img)) + 0.5) / len(img), img, ratio, path.name)


def _bisect(fits, lo=0.0, hi=1.0, steps=30):
    """Largest x in [lo, hi] with fits(x), fits being monotone (lo if none)."""
    if fits(hi):
        return hi
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid)
    return lo


def plan_train_counts(num_classes, num_images, curve, mean_objects=6.5,
                      max_ratio=2.5, max_class_frac=0.5, knee=COMMON_MAX_IMAGES):
    """Training (image_count, instance_count) per class, head first (int arrays).

    Class k takes the ``LongTailCurve`` at quantile (k + 0.5) / num_classes. Image counts <= knee
    are kept, larger ones become ``knee * (n / knee) ** gamma`` (still > knee) with the
    largest gamma <= 1 whose total instances fit ``num_images * mean_objects``; only
    if gamma = 0 does not fit are all counts compressed (``n ** beta``).
    """
    q = (np.arange(num_classes) + 0.5) / num_classes
    img0 = np.round(np.exp(np.interp(q, curve.quantiles, np.log(curve.image_counts))))
    ratio = np.clip(np.interp(q, curve.quantiles, curve.instance_ratios), 1.0, max_ratio)
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


def plan_val_counts(train_img, train_inst, num_images, mean_objects=6.5,
                    min_instances=3, alpha=0.5):
    """Val (image_count, instance_count) per class: flatter, every class present."""
    budget = num_images * mean_objects
    min_instances = int(max(1, min(min_instances, budget // len(train_inst))))
    base = np.asarray(train_inst, float) ** alpha

    def counts(s):
        return np.maximum(min_instances, np.round(s * base)).astype(int)
    inst = counts(_bisect(lambda s: counts(s).sum() <= budget, 0.0, budget))
    ratio = np.maximum(1.0, np.asarray(train_inst) / np.asarray(train_img))
    img = np.clip(np.round(inst / ratio), 1, np.minimum(inst, num_images)).astype(int)
    return img, inst


def assign_to_images(img_counts, inst_counts, num_images, capacity, rng):
    """Distribute each class's instances over its images; per image its class list.

    An image left empty gets a frequent class, so the frequency groups keep."""
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
    head = [c for c, n in enumerate(img_counts) if frequency_of_image_count(n) == 'f']
    head = head or [int(np.argmax(img_counts))]
    for i in np.flatnonzero(load == 0):
        objects[i].append(int(rng.choice(head)))
    return objects


class ImageLabels(NamedTuple):
    """An image's labels beyond its objects (class indices)."""
    unannotated: set            # indices into its object list left unannotated
    not_exhaustive: List[int]   # the class of those ([] if none)
    negatives: List[int]        # classes verified absent


def plan_image_labels(objects, num_classes, num_neg, not_exhaustive_frac, rng):
    """Per image: ``num_neg`` negative classes and, in ``not_exhaustive_frac`` of the
    images (among those with a repeated class), some instances of one class left
    unannotated, that class being marked not exhaustive."""
    multi = [i for i, cls in enumerate(objects) if len(set(cls)) < len(cls)]
    num_ne = min(len(multi), int(round(not_exhaustive_frac * len(objects))))
    ne_images = set(rng.choice(multi, num_ne, replace=False).tolist())
    labels = []
    for i, cls in enumerate(objects):
        drop, not_exh = set(), []
        if i in ne_images:
            c = rng.choice(sorted({c for c in cls if cls.count(c) > 1}))
            idx = [j for j, cj in enumerate(cls) if cj == c]
            drop = set(rng.choice(idx, rng.integers(1, len(idx)), replace=False).tolist())
            not_exh = [int(c)]
        absent = [c for c in range(num_classes) if c not in cls]
        neg = rng.choice(absent, min(num_neg, len(absent)), replace=False)
        labels.append(ImageLabels(drop, not_exh, [int(c) for c in neg]))
    return labels
