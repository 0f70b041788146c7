"""COCO-LT, re-created: SimCal's long-tailed subset of COCO train2017.

The original annotation file was never published. Its statistics were: the 80 COCO
classes, 99,411 images, 666,493 instances, and training-instance bins [1,20),
[20,400), [400,8000), [8000,inf) holding 4 / 24 / 32 / 20 classes. The original
repository also shipped each class's instance and image count
(``class_to_imageid_and_inscount_coco_sampled.pt``), reproduced in
:data:`ORIGINAL_COCO_LT_COUNTS`: the 20 classes with 8,000 or more instances keep all of
COCO's, the other 60 were cut to counts that follow LVIS's long tail.

:func:`sample_coco_lt` re-creates such a subset from COCO's train2017 annotations, with
the original's per-class instance counts as targets (or any given ones): for each class
whose target is below its COCO count, a seeded random set of the class's images whose
instances of the class add up to the target; the class's annotations are kept in those
images only (as in the original, whose per-class image lists show other classes'
objects left unannotated in a kept image); images left without annotations are
dropped. The result is a re-creation with the original's statistics, not the original
file: which images are drawn differs.
"""
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from lvis_api.eval.bins import bin_of_categories, bin_ranges

COCO_LT_BIN_EDGES = (1, 20, 400, 8000)
COCO_LT_BIN_CLASSES = (4, 24, 32, 20)
ORIGINAL_COCO_LT_TOTALS = dict(images=99411, instances=666493)
COCO_LT_NOTE = ('A re-creation of COCO-LT (SimCal, ECCV 2020) by '
                'tools/misc/make_coco_lt.py, not the original file (never published): '
                "the original's per-class instance counts, images drawn with seed {seed} "
                'from {source}.')

# (instances, images) of each class in the original COCO-LT, by COCO class name
ORIGINAL_COCO_LT_COUNTS = {
    'person': (262465, 64115), 'bicycle': (3530, 2084), 'car': (43867, 12251),
    'motorcycle': (8725, 3502), 'airplane': (686, 608), 'bus': (248, 242),
    'train': (408, 393), 'truck': (9973, 6127), 'boat': (10759, 3025),
    'traffic light': (12884, 4139), 'fire hydrant': (11, 11), 'stop sign': (22, 22),
    'parking meter': (12, 12), 'bench': (9838, 5570), 'bird': (10806, 3237),
    'cat': (198, 194), 'dog': (167, 166), 'horse': (1518, 1102), 'sheep': (9509, 1529),
    'cow': (7079, 1873), 'elephant': (374, 320), 'bear': (61, 58), 'zebra': (420, 363),
    'giraffe': (383, 351), 'backpack': (8720, 5528), 'umbrella': (11431, 3968),
    'handbag': (12354, 6841), 'tie': (6112, 3644), 'suitcase': (5360, 2212),
    'frisbee': (14, 14), 'skis': (2902, 1870), 'snowboard': (22, 21),
    'sports ball': (6221, 4193), 'kite': (9076, 2261), 'baseball bat': (67, 66),
    'baseball glove': (52, 52), 'skateboard': (547, 501), 'surfboard': (4678, 2872),
    'tennis racket': (793, 729), 'bottle': (24342, 8501), 'wine glass': (5047, 2050),
    'cup': (20650, 9189), 'fork': (774, 713), 'knife': (7190, 4113), 'spoon': (1025, 889),
    'bowl': (14358, 7111), 'banana': (9458, 2243), 'apple': (589, 434),
    'sandwich': (657, 568), 'orange': (4042, 1411), 'broccoli': (6394, 1839),
    'carrot': (2746, 1186), 'hot dog': (48, 46), 'pizza': (100, 97), 'donut': (6594, 1449),
    'cake': (4684, 2383), 'chair': (38491, 12774), 'couch': (629, 610),
    'potted plant': (2689, 1958), 'bed': (51, 51), 'dining table': (15714, 11837),
    'toilet': (73, 73), 'tv': (710, 672), 'laptop': (286, 278), 'mouse': (52, 52),
    'remote': (765, 683), 'keyboard': (21, 21), 'cell phone': (4699, 3711),
    'microwave': (52, 52), 'oven': (65, 65), 'toaster': (47, 46), 'sink': (114, 113),
    'refrigerator': (50, 50), 'book': (24715, 5332), 'clock': (4004, 3204),
    'vase': (1473, 1170), 'scissors': (24, 23), 'teddy bear': (693, 529),
    'hair drier': (71, 70), 'toothbrush': (15, 14),

}


def default_targets(categories: List[dict]) -> Dict[int, int]:
    """The original's instance count of each category (by id), matched by COCO name."""
    names = {c['id']: c.get('name') for c in categories}
    missing = sorted(set(ORIGINAL_COCO_LT_COUNTS) - set(names.values()))
    extra = sorted(str(n) for n in names.values() if n not in ORIGINAL_COCO_LT_COUNTS)
    if missing or extra:
        raise ValueError('COCO-LT is defined on the 80 COCO classes; the source '
                         f'{"lacks " + ", ".join(missing[:5]) if missing else ""}'
                         f'{" and " if missing and extra else ""}'
                         f'{"has others: " + ", ".join(extra[:5]) if extra else ""} '
                         '(give per-class targets for another set)')
    return {cat_id: ORIGINAL_COCO_LT_COUNTS[name][0] for cat_id, name in names.items()}


def _choose_images(counts: np.ndarray, target: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of images (of one class, ``counts`` instances each) in a seeded random
    order, taken while their instances fit in ``target``, until it is reached; at least
    one image (the one with the fewest instances) when none fits."""
    if counts.sum() <= target:
        return np.arange(len(counts))
    order = rng.permutation(len(counts))
    cum = np.cumsum(counts[order])
    head = int(np.searchsorted(cum, target, side='right'))  # the prefix that fits
    chosen, left = list(order[:head]), target - (int(cum[head - 1]) if head else 0)
    for pos in order[head:]:
        if left == 0:
            break
        if counts[pos] <= left:
            chosen.append(pos)
            left -= int(counts[pos])
    if not chosen:
        chosen = [int(order[np.argmin(counts[order])])]
    return np.sort(np.asarray(chosen, np.int64))


def sample_coco_lt(dataset: dict, seed: int = 0,
                   targets: Optional[Mapping[int, int]] = None,
                   source: str = 'instances_train2017.json') -> Tuple[dict, dict]:
    """The long-tailed subset of a COCO-format dataset and its statistics (see the
    module doc). ``targets``: instances per category id (default: the original's, by
    COCO class name). Each class draws from ``default_rng([seed, category_id])``."""
    categories = dataset['categories']
    targets = dict(default_targets(categories) if targets is None else targets)
    cat_ids = np.array(sorted(c['id'] for c in categories), np.int64)
    unknown = sorted(set(targets) - set(cat_ids.tolist()))
    if unknown or len(targets) != len(cat_ids):
        raise ValueError(f'targets must give a count for each of the {len(cat_ids)} '
                         f'categories (unknown ids: {unknown[:5]})')
    anns = dataset['annotations']
    ann_cat = np.fromiter((a['category_id'] for a in anns), np.int64, len(anns))
    ann_img = np.fromiter((a['image_id'] for a in anns), np.int64, len(anns))
    pairs, pair_of_ann, pair_counts = np.unique(np.stack([ann_cat, ann_img], 1), axis=0,
                                                return_inverse=True, return_counts=True)
    pair_of_ann = pair_of_ann.reshape(-1)
    keep_pair = np.zeros(len(pairs), bool)
    starts = np.searchsorted(pairs[:, 0], cat_ids, 'left')
    ends = np.searchsorted(pairs[:, 0], cat_ids, 'right')
    for cat_id, start, end in zip(cat_ids.tolist(), starts, ends):
        chosen = _choose_images(pair_counts[start:end], int(targets[cat_id]),
                                np.random.default_rng([seed, cat_id]))
        keep_pair[start + chosen] = True
    keep_ann = keep_pair[pair_of_ann]
    kept_imgs = set(np.unique(ann_img[keep_ann]).tolist())
    subset = dict(
        info=dict(dataset.get('info') or {},
                  description=COCO_LT_NOTE.format(seed=seed, source=source)),
        licenses=dataset.get('licenses', []),
        images=[img for img in dataset['images'] if img['id'] in kept_imgs],
        annotations=[a for a, keep in zip(anns, keep_ann.tolist()) if keep],
        categories=categories)
    return subset, coco_lt_statistics(dataset, subset, targets, seed, source)


def coco_lt_statistics(dataset: dict, subset: dict, targets: Mapping[int, int], seed: int,
                       source: str, edges: Sequence[float] = COCO_LT_BIN_EDGES) -> dict:
    """Per class (source and kept instances, target, kept images, bin) and per bin, with
    the original's figures beside ours."""
    def per_class(d: dict) -> Tuple[Dict[int, int], Dict[int, int]]:
        anns = d['annotations']
        pairs = np.unique(np.array([(a['category_id'], a['image_id']) for a in anns],
                                   np.int64).reshape(-1, 2), axis=0)
        cats, inst = np.unique([a['category_id'] for a in anns], return_counts=True)
        img_cats, imgs = np.unique(pairs[:, 0], return_counts=True)
        return (dict(zip(cats.tolist(), inst.tolist())),
                dict(zip(img_cats.tolist(), imgs.tolist())))
    src_inst, _ = per_class(dataset)
    inst, imgs = per_class(subset)
    classes = []
    for cat in sorted(subset['categories'], key=lambda c: c['id']):
        cid, name = cat['id'], cat.get('name', str(cat['id']))
        original = ORIGINAL_COCO_LT_COUNTS.get(name)
        classes.append(OrderedDict(
            id=cid, name=name, source_instances=src_inst.get(cid, 0), target=int(targets[cid]),
            instances=inst.get(cid, 0), images=imgs.get(cid, 0),
            original_instances=original[0] if original else None,
            original_images=original[1] if original else None))
    ids = [c['id'] for c in classes]
    counts = np.array([c['instances'] for c in classes])
    bins = bin_of_categories(ids, {c['id']: c['instances'] for c in classes}, edges)
    target_bins = bin_of_categories(ids, {c['id']: c['target'] for c in classes}, edges)
    for c, b, tb in zip(classes, bins.tolist(), target_bins.tolist()):
        c['bin'], c['target_bin'] = b + 1 if b >= 0 else None, tb + 1 if tb >= 0 else None
    ranges = bin_ranges(edges)
    return OrderedDict(
        note=COCO_LT_NOTE.format(seed=seed, source=source), seed=seed,
        bin_edges=list(edges),
        bins=[OrderedDict(bin=f'AP{b + 1}', range=ranges[b],
                          classes=int((bins == b).sum()),
                          target_classes=int((target_bins == b).sum()),
                          original_classes=(COCO_LT_BIN_CLASSES[b]
                                            if tuple(edges) == COCO_LT_BIN_EDGES else None),
                          instances=int(counts[bins == b].sum()))
              for b in range(len(edges))],
        totals=OrderedDict(images=len(subset['images']), instances=len(subset['annotations']),
                           source_images=len(dataset['images']),
                           source_instances=len(dataset['annotations']),
                           original_images=ORIGINAL_COCO_LT_TOTALS['images'],
                           original_instances=ORIGINAL_COCO_LT_TOTALS['instances']),
        classes=classes)


def bin_mismatches(stats: dict) -> List[str]:
    """Classes whose kept count is in another bin than their target (e.g. a source with
    fewer instances than the target, or images too crowded to hit a small target)."""
    return [f"{c['name']} (id {c['id']}): {c['instances']} instances, target "
            f"{c['target']} (bin {c['target_bin']}, got {c['bin']})"
            for c in stats['classes'] if c['bin'] != c['target_bin']]
