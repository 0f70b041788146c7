"""Counts of a written annotation file, as the command line tool prints them."""
import numpy as np

from lvis_api import DEFAULT_BIN_EDGES, LVIS
from lvis_api.eval.bins import bin_of_categories, bin_ranges


def summarize_split(ann_file):
    """Images, annotations, classes per frequency group, and classes and annotations per
    SimCal bin (the bins of the categories' TRAIN ``instance_count``)."""
    data = LVIS(ann_file)
    cat_ids = data.get_cat_ids()
    train_counts = {c: data.cats[c]['instance_count'] for c in cat_ids}
    bins = dict(zip(cat_ids, bin_of_categories(cat_ids, train_counts, DEFAULT_BIN_EDGES)))
    num_bins = len(DEFAULT_BIN_EDGES)
    classes = np.bincount(list(bins.values()), minlength=num_bins)
    instances = np.bincount([bins[a['category_id']] for a in data.dataset['annotations']],
                            minlength=num_bins)
    return dict(images=len(data.imgs), annotations=len(data.anns),
                frequency={f: len(ids) for f, ids in data.frequency_groups().items()},
                bins=[dict(bin=name, classes=int(n), instances=int(m)) for name, n, m
                      in zip(bin_ranges(DEFAULT_BIN_EDGES), classes, instances)])
