"""A generated toy long-tail instance segmentation dataset in LVIS format.

``make_toy_lvis(out_dir)`` writes ``annotations/lvis_toy_{train,val}.json`` and the
images ``{train,val}2017/{id:012d}.jpg``, laid out like LVIS on COCO images, so that
the whole pipeline (Mask R-CNN, SimCal calibration, LVIS AP with APr/APc/APf and the
training-count bins) runs on a laptop CPU in minutes.

Classes are ``colour x texture x shape`` (e.g. ``red_striped_star``): 8 colours,
4 textures (solid, striped, dotted, checkered) and 8 shapes, painted on a noisy
gradient background with translucent distractor blobs (which are not objects).
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

Defaults, and why: 50 classes, 1500 train and 250 val images of 160x160, 1-10 objects
per image (6.5 on average, LVIS has 12) of 16-80 px. 50 classes is about the fewest at
which LVIS's shares give each group a dozen classes or more (18 r / 19 c / 13 f), with
every colour, texture and shape among the frequent ones. 1500 images of 160 px is
roughly one epoch of a ResNet-18 Mask R-CNN at reduced width in ~5 minutes on 2 CPU
cores, and lets the head keep 100-470 training images per class (top classes ~1100
instances) while the rare classes keep their real 1-10 images: the four SimCal bins
[0,10), [10,100), [100,1000), [1000,inf) hold 12/20/15/3 classes. 250 val images give
every class >= 3 val instances, so APr is measurable. Generation takes ~10 s on one
core; ``num_val_images=5000, val_image_size=(64, 64)`` takes a few seconds more.
The same arguments give byte-identical files (same numpy/OpenCV/libjpeg builds).
"""
import json
import math
from collections import Counter
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
_TEXTURE_DEF = dict(solid='of one colour', striped='with dark stripes',
                    dotted='with dark dots', checkered='with a dark check pattern')
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
    if lvis_stats_file is None:
        lvis_stats_file = LVIS_STATS_FILE if LVIS_STATS_FILE.is_file() else False
    if lvis_stats_file is not False:
        path = Path(lvis_stats_file)
        cats = json.loads(path.read_text())['categories']
        cats = sorted(cats, key=lambda c: (-c['image_count'], -c['instance_count']))
        img = np.array([max(c['image_count'], 1) for c in cats], float)
        ratio = np.array([c['instance_count'] for c in cats]) / img
        return (np.arange(len(img)) + 0.5) / len(img), img, ratio, path.name
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


def plan_train_counts(num_classes, num_images, curve, mean_objects=6.5,
                      max_ratio=2.5, max_class_frac=0.5, knee=100):
    """Training (image_count, instance_count) per class, head first (int arrays).

    Class k takes the curve at quantile (k + 0.5) / num_classes. Image counts <= knee
    are kept, larger ones become ``knee * (n / knee) ** gamma`` (still > knee) with the
    largest gamma <= 1 whose total instances fit ``num_images * mean_objects``; only
    if gamma = 0 does not fit are all counts compressed (``n ** beta``).
    """
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
    if shape == 'crescent':  # unit-circle arc 60..300 deg, closed by the arc of the
        r = np.sin(np.pi / 3)  # circle centred at (.5, 0) through both of its ends
        return [np.concatenate([
            _arc(np.linspace(np.pi / 3, 5 * np.pi / 3, 30)),
            _arc(np.linspace(1.5 * np.pi, .5 * np.pi, 24)[1:-1], r, .5)])]
    raise ValueError(f'unknown shape {shape!r}')


def shape_polygons(shape, cx, cy, size, angle=0.0, aspect=1.0):
    """Polygons ((N, 2) arrays) of ``shape`` centred at (cx, cy), ~size px across."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return [p * [aspect * size / 2, size / 2] @ rot.T + [cx, cy]
            for p in _unit_shape(shape)]


def _class_parts(num_classes, rng):
    """(colour, texture, shape) per class, head first; greedy balance of the parts,
    so that the head covers every colour, texture and shape."""
    combos = [(c, t, s) for c in COLOURS for t in TEXTURES for s in SHAPES]
    if not 1 <= num_classes <= len(combos):
        raise ValueError(f'num_classes must be in 1..{len(combos)}')
    counts = [dict.fromkeys(part, 0) for part in (COLOURS, TEXTURES, SHAPES)]
    free, parts = [combos[i] for i in rng.permutation(len(combos))], []
    for _ in range(num_classes):
        best = min(free, key=lambda cts: sum(
            n[x] / len(n) for n, x in zip(counts, cts)))
        free.remove(best)
        parts.append(best)
        for n, x in zip(counts, best):
            n[x] += 1
    return parts


def _free_positions(occupied, h, w):
    """Top-left corners of the h x w windows that touch no occupied pixel."""
    H, W = occupied.shape
    if h > H or w > W:
        return np.zeros((0, 2), int)
    s = np.zeros((H + 1, W + 1), np.int32)
    s[1:, 1:] = occupied.cumsum(0, dtype=np.int32).cumsum(1)
    window = s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]
    return np.argwhere(window == 0)


def _background(rng, h, w):
    """Gradient of two greyish colours, low-frequency noise and translucent blobs."""
    c0, c1 = (rng.uniform(95, 190, (2, 1))
              + rng.uniform(-20, 20, (2, 3))).astype(np.float32)
    a, scale = rng.uniform(0, 2 * np.pi), np.float32(1 / (1.5 * max(h, w)))
    t = (np.arange(w, dtype=np.float32)[None] * np.cos(a)
         + np.arange(h, dtype=np.float32)[:, None] * np.sin(a)) * scale + 0.5
    img = c0 + (c1 - c0) * t[..., None]
    img += cv2.resize(rng.normal(0, 12, (4, 4, 3)).astype(np.float32), (w, h),
                      interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(1, 5)):  # distractors: blurred irregular blobs
        n, r, sigma = 16, rng.uniform(0.06, 0.25) * min(h, w), rng.uniform(1, 3)
        ang = np.linspace(0, 2 * np.pi, n, endpoint=False)
        rad = r * (1 + np.convolve(np.tile(rng.normal(0, .35, n), 3), np.ones(3) / 3,
                                   'same')[n:2 * n]).clip(.3)
        pts = rng.uniform(0, 1, 2) * [w, h] + _arc(ang, rad)
        x0, y0 = np.maximum(0, np.floor(pts.min(0) - 3 * sigma)).astype(int)
        x1, y1 = np.minimum([w, h], np.ceil(pts.max(0) + 3 * sigma)).astype(int)
        alpha = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(alpha, [np.round(pts - [x0, y0]).astype(np.int32)],
                     rng.uniform(.3, .55))
        alpha = cv2.GaussianBlur(alpha, (0, 0), sigma, borderType=cv2.BORDER_CONSTANT)
        alpha = alpha[..., None]
        roi = img[y0:y1, x0:x1]
        roi += (rng.uniform(40, 255, 3).astype(np.float32) - roi) * alpha
    return img


def _texture(texture, xs, ys, size, rng):
    """Boolean selection of the pixels (xs, ys) that take the texture colour."""
    if texture == 'solid':
        return np.zeros(len(xs), bool)
    p, a = min(max(size / 3.5, 4.0), 12.0), rng.uniform(0, np.pi)
    u = xs * np.cos(a) + ys * np.sin(a) + rng.uniform(0, p)
    v = ys * np.cos(a) - xs * np.sin(a) + rng.uniform(0, p)
    if texture == 'striped':
        return u % p < p / 2
    if texture == 'dotted':
        return (u % p - p / 2) ** 2 + (v % p - p / 2) ** 2 < (0.3 * p) ** 2
    return (np.floor(u / (0.6 * p)) + np.floor(v / (0.6 * p))) % 2 == 0


def _layout(rng, height, width, shapes, sizes, margin=1):
    """Non-overlapping placements, largest first: per object its polygons (2-decimal
    flat lists in image coordinates) and window (y, x, h, w); None if they don't fit."""
    occupied = np.zeros((height, width), bool)
    out = [None] * len(shapes)
    for k in np.argsort(-sizes, kind='stable'):
        angle, aspect = np.deg2rad(rng.uniform(-15, 15)), rng.uniform(.85, 1.15)
        polys = shape_polygons(shapes[k], 0, 0, sizes[k], angle, aspect)
        lo = np.concatenate(polys).min(0)
        w, h = np.ceil(np.concatenate(polys).max(0) - lo).astype(int) + 2 + 2 * margin
        free = _free_positions(occupied, h, w)
        if not len(free):
            return None
        y, x = free[rng.integers(len(free))]
        occupied[y:y + h, x:x + w] = True
        out[k] = ([np.round(p - lo + [x + margin + 1, y + margin + 1], 2).ravel().tolist()
                   for p in polys], (y, x, h, w))
    return out


def render_image(rng, height, width, parts, min_size=16):
    """Draw non-overlapping objects, one per (colour, texture, shape) in ``parts``.

    Sizes are log-uniform in [min_size, min(H, W) / 2], shrunk to fit. Returns the RGB
    uint8 image and, per object, its polygons and their pycocotools RLE: the painted
    pixels are exactly the RLE's pixels.
    """
    img = _background(rng, height, width)
    max_size = max(min_size, min(height, width) / 2)
    sizes = np.exp(rng.uniform(np.log(min_size), np.log(max_size), len(parts)))
    sizes = np.maximum(min_size, sizes / np.sqrt(max(
        1.0, (sizes ** 2).sum() / (0.4 * height * width))))
    for _ in range(30):
        placed = _layout(rng, height, width, [p[2] for p in parts], sizes)
        if placed is not None:
            break
        sizes = np.maximum(min_size, 0.85 * sizes)
    else:
        raise RuntimeError(f'no room for {len(parts)} objects in {height}x{width}')
    out = []
    for (colour, texture, _), size, (polys, (y, x, h, w)) in zip(parts, sizes, placed):
        rle = mask_utils.merge(mask_utils.frPyObjects(polys, height, width))
        ys, xs = np.nonzero(mask_utils.decode(rle)[y:y + h, x:x + w])
        ys, xs = ys + y, xs + x
        img[ys, xs] = np.clip(np.array(COLOURS[colour]) * rng.uniform(.9, 1.05)
                              + rng.uniform(-12, 12, 3), 0, 255)
        sel = _texture(texture, xs, ys, size, rng)
        img[ys[sel], xs[sel]] = TEXTURE_RGB
        out.append((polys, rle))
    img += 3 * rng.standard_normal(img.shape, np.float32)
    return np.clip(np.round(img), 0, 255).astype(np.uint8), out


def _make_split(split, objects, first_id, size, parts, cat_ids, folder, seed, tag,
                num_neg, not_exhaustive_frac, min_size, jpeg_quality):
    """Render one split's images; returns its image and annotation records."""
    rng = np.random.default_rng([seed, 2, tag])
    multi = [i for i, cls in enumerate(objects) if len(set(cls)) < len(cls)]
    num_ne = min(len(multi), int(round(not_exhaustive_frac * len(objects))))
    ne_images = set(rng.choice(multi, num_ne, replace=False).tolist())
    (height, width), images, anns = size, [], []
    folder.mkdir(parents=True, exist_ok=True)
    for i, cls in enumerate(objects):
        image_id, drop, not_exh = first_id + i, set(), []
        if i in ne_images:  # leave some drawn instances of one class unannotated
            c = rng.choice(sorted({c for c in cls if cls.count(c) > 1}))
            idx = [j for j, cj in enumerate(cls) if cj == c]
            drop = set(rng.choice(idx, rng.integers(1, len(idx)), replace=False).tolist())
            not_exh = [cat_ids[c]]
        absent = [c for c in range(len(parts)) if c not in cls]  # verified negatives
        neg = rng.choice(absent, min(num_neg, len(absent)), replace=False)
        file_name = f'{image_id:012d}.jpg'
        images.append(dict(
            id=image_id, width=width, height=height, file_name=file_name,
            coco_url=f'http://images.cocodataset.org/{split}2017/{file_name}', license=1,
            neg_category_ids=sorted(cat_ids[c] for c in neg),
            not_exhaustive_category_ids=not_exh))
        img, drawn = render_image(np.random.default_rng([seed, 3, tag, i]), height, width,
                                  [parts[c] for c in cls], min_size)
        for j, (c, (polys, rle)) in enumerate(zip(cls, drawn)):
            if j not in drop:
                anns.append(dict(
                    id=len(anns) + 1, image_id=image_id, category_id=cat_ids[c],
                    segmentation=polys, area=int(mask_utils.area(rle)),
                    bbox=[float(v) for v in mask_utils.toBbox(rle)]))
        ok, buf = cv2.imencode('.jpg', img[..., ::-1], [
            cv2.IMWRITE_JPEG_QUALITY, jpeg_quality,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444])
        if not ok:
            raise RuntimeError(f'JPEG encoding failed for {file_name}')
        (folder / file_name).write_bytes(buf.tobytes())
    return images, anns


def make_toy_lvis(out_dir, num_classes=50, num_train_images=1500, num_val_images=250,
                  image_size=(160, 160), seed=0, lvis_stats_file=None,
                  val_image_size=None, mean_objects_per_image=6.5,
                  max_objects_per_image=10, min_object_size=16, max_instance_ratio=2.5,
                  min_val_instances=3, num_neg_per_image=None, not_exhaustive_frac=0.05,
                  jpeg_quality=90):
    """Write a toy long-tail LVIS-format dataset under ``out_dir`` (see module doc).

    ``image_size`` and ``val_image_size`` (default: the same) are (H, W).
    ``lvis_stats_file``: None = the shared LVIS v0.5 statistics if present, else the
    built-in curve; False = the built-in curve; a path = that file.
    ``mean_objects_per_image`` and ``max_objects_per_image`` are capped by what fits
    the image (0.3 of its area in (min_object_size + 6)^2 cells). ``max_instance_ratio``
    caps a class's instances per image. ``num_neg_per_image`` defaults to
    num_classes // 8; ``not_exhaustive_frac`` of the images get a not-exhaustive class.
    Returns the paths (str): data_root, train_ann_file, train_img_dir, val_ann_file,
    val_img_dir.
    """
    params = {k: v for k, v in locals().items()
              if k not in ('out_dir', 'lvis_stats_file')}
    out = Path(out_dir)
    curve = load_long_tail_curve(lvis_stats_file)
    parts = _class_parts(num_classes, np.random.default_rng([seed, 0]))
    names = ['_'.join(p) for p in parts]
    order = sorted(range(num_classes), key=names.__getitem__)  # ids: alphabetical
    cat_ids = {r: i + 1 for i, r in enumerate(order)}
    sizes = [tuple(image_size), tuple(val_image_size or image_size)]
    caps = [int(np.clip(0.3 * h * w / (min_object_size + 6) ** 2, 1,
                        max_objects_per_image)) for h, w in sizes]
    means = [min(mean_objects_per_image, 0.7 * c) for c in caps]
    if num_classes > num_val_images * caps[1]:
        raise ValueError(f'{num_val_images} val images cannot hold {num_classes} classes')
    train = plan_train_counts(num_classes, num_train_images, curve, means[0],
                              max_instance_ratio)
    val = plan_val_counts(*train, num_val_images, means[1], min_val_instances)
    num_neg = num_classes // 8 if num_neg_per_image is None else num_neg_per_image

    splits = {}
    for tag, (split, n, counts, first_id) in enumerate(
            [('train', num_train_images, train, 1),
             ('val', num_val_images, val, num_train_images + 1)]):
        objects = assign_to_images(*counts, n, caps[tag],
                                   np.random.default_rng([seed, 1, tag]))
        splits[split] = _make_split(
            split, objects, first_id, sizes[tag], parts, cat_ids,
            out / f'{split}2017', seed, tag, num_neg, not_exhaustive_frac,
            min_object_size, jpeg_quality)

    # category statistics from the TRAIN annotations, written to both files (as LVIS)
    train_anns = splits['train'][1]
    instance_count = Counter(a['category_id'] for a in train_anns)
    image_count = Counter(c for c, _ in {(a['category_id'], a['image_id'])
                                         for a in train_anns})
    categories = []
    for r in order:
        (colour, texture, shape), cid = parts[r], cat_ids[r]
        categories.append({
            'id': cid, 'name': names[r], 'synset': f'{names[r]}.n.01',
            'synonyms': [names[r], f'{colour} {texture} {shape}'],
            'def': f'a {colour} {shape} {_TEXTURE_DEF[texture]}',
            'frequency': frequency_group(image_count[cid]),
            'image_count': image_count[cid], 'instance_count': instance_count[cid]})
    info = dict(description='Toy long-tail instance segmentation in LVIS v0.5 format '
                            '(generated by mmdet.datasets.toy_lvis)',
                version='0.5', year=2020, contributor='simcal-mmdet toy generator',
                date_created='2020/01/01', long_tail_curve=curve[3], generator=params)
    licenses = [dict(id=1, name='CC0 1.0 (generated data)',
                     url='https://creativecommons.org/publicdomain/zero/1.0/')]
    result = dict(data_root=str(out))
    (out / 'annotations').mkdir(parents=True, exist_ok=True)
    for split, (images, anns) in splits.items():
        path = out / 'annotations' / f'lvis_toy_{split}.json'
        path.write_text(json.dumps(dict(info=info, licenses=licenses, images=images,
                                        annotations=anns, categories=categories),
                                   separators=(',', ':')))
        result[f'{split}_ann_file'] = str(path)
        result[f'{split}_img_dir'] = str(out / f'{split}2017')
    return result


def summarize_split(ann_file):
    """Counts of an LVIS-format file: images, annotations, classes per frequency group,
    classes and annotations per SimCal bin (bins of the categories' instance_count)."""
    data = json.loads(Path(ann_file).read_text())
    cats = {c['id']: c for c in data['categories']}
    bins = [dict(bin=f'[{lo},{hi})', classes=0, instances=0)
            for lo, hi in zip(SIMCAL_BINS[:-1], SIMCAL_BINS[1:])]
    for c in cats.values():
        bins[simcal_bin(c['instance_count'])]['classes'] += 1
    for a in data['annotations']:
        bins[simcal_bin(cats[a['category_id']]['instance_count'])]['instances'] += 1
    return dict(images=len(data['images']), annotations=len(data['annotations']),
                frequency={f: sum(c['frequency'] == f for c in cats.values())
                           for f in 'rcf'}, bins=bins)
