"""``make_toy_lvis``: plan, render and write the toy dataset.

Defaults, and why: 50 classes, 1500 train and 250 val images of 160x160, 1-10 objects
per image (6.5 on average, LVIS has 12) of 16-80 px. 50 classes is about the fewest at
which LVIS's shares give each frequency group a dozen classes or more (18 r / 19 c /
13 f), with every colour, texture and shape among the frequent ones. 1500 images of
160 px is roughly one epoch of a ResNet-18 Mask R-CNN at reduced width in ~5 minutes on
2 CPU cores, and lets the head keep 100-470 training images per class (top classes
~1100 instances) while the rare classes keep their real 1-10 images: the four SimCal
bins [0,10), [10,100), [100,1000), [1000,inf) hold 12/20/15/3 classes. 250 val images
give every class >= 3 val instances, so APr is measurable. Generation takes ~10 s on
one core; ``num_val_images=5000, val_image_size=(64, 64)`` takes a few seconds more.
The same arguments give byte-identical files (same numpy/OpenCV/libjpeg builds).
"""
from pathlib import Path

import numpy as np

from .classes import choose_class_parts, class_name, describe_category
from .plan import (assign_to_images, load_long_tail_curve, plan_image_labels,
                   plan_train_counts, plan_val_counts)
from .write import (dataset_info, with_train_statistics, write_annotation_file,
                    write_split_images)


def make_toy_lvis(out_dir, num_classes=50, num_train_images=1500, num_val_images=250,
                  image_size=(160, 160), seed=0, lvis_stats_file=None,
                  val_image_size=None, mean_objects_per_image=6.5,
                  max_objects_per_image=10, min_object_size=16, max_instance_ratio=2.5,
                  min_val_instances=3, num_neg_per_image=None, not_exhaustive_frac=0.05,
                  jpeg_quality=90):
    """Write a toy long-tail LVIS-format dataset under ``out_dir`` (see the package doc).

    ``image_size`` and ``val_image_size`` (default: the same) are (H, W).
    ``lvis_stats_file``: None = the LVIS v0.5 train statistics shipped in
    mmdet/testing/data; a path = that file; False = a built-in 21-point table of them.
    ``mean_objects_per_image`` and ``max_objects_per_image`` are capped by what fits
    the image (0.3 of its area in (min_object_size + 6)^2 cells). ``max_instance_ratio``
    caps a class's instances per image; the val split has at least
    ``min_val_instances`` per class. Every image has ``num_neg_per_image`` negative
    classes (default num_classes // 8); ``not_exhaustive_frac`` of the images have a
    not-exhaustive class, some of whose drawn instances are left unannotated.
    Returns the paths (str): data_root, train_ann_file, train_img_dir, val_ann_file,
    val_img_dir.
    """
    generator = {k: v for k, v in locals().items()
                 if k not in ('out_dir', 'lvis_stats_file')}
    out = Path(out_dir)
    curve = load_long_tail_curve(lvis_stats_file)
    # random streams: [seed, 0] classes, [seed, 1 | 2 | 3, split] objects per image,
    # image labels and drawing
    parts = choose_class_parts(num_classes, np.random.default_rng([seed, 0]))
    order = sorted(range(num_classes), key=lambda c: class_name(parts[c]))
    cat_ids = {c: i + 1 for i, c in enumerate(order)}  # ids: alphabetical
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
        labels = plan_image_labels(objects, num_classes, num_neg, not_exhaustive_frac,
                                   np.random.default_rng([seed, 2, tag]))
        splits[split] = write_split_images(
            out / f'{split}2017', split, objects, labels, parts, cat_ids, first_id,
            sizes[tag], (seed, 3, tag), min_object_size, jpeg_quality)

    categories = with_train_statistics(
        [describe_category(parts[c], cat_ids[c]) for c in order], *splits['train'])
    info = dataset_info(curve.source, generator)
    result = dict(data_root=str(out))
    (out / 'annotations').mkdir(parents=True, exist_ok=True)
    for split, (images, anns) in splits.items():
        path = out / 'annotations' / f'lvis_toy_{split}.json'
        write_annotation_file(path, info, images, anns, categories)
        result[f'{split}_ann_file'] = str(path)
        result[f'{split}_img_dir'] = str(out / f'{split}2017')
    return result
