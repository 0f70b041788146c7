"""A dataset of (class, image) pairs for SimCal's bi-level class-balanced sampling.

Entry ``k`` is one pair (label, image of the wrapped dataset containing that label);
the pairs of a class are contiguous, so ``class_offsets[c] + j`` is the ``j``-th image
of class ``c``. Each loaded sample carries the class it was drawn for in its metainfo
(``drawn_label``). The class -> images index is built from the wrapped dataset's own
records (after its filters), with non-ignored instances only: every pair's image really
contains its class. This index says which images can be DRAWN; the training instance
counts (for the class probabilities and T) are the dataset's ``instance_counts``
metainfo, the one definition of ``lvis_api.instance_counts``.
"""
import copy
from typing import Dict, List, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmdet.registry import DATASETS


def class_image_index(dataset: BaseDataset, num_classes: int) -> List[np.ndarray]:
    """Per label: the sorted dataset indices of the images with a non-ignored instance
    of it."""
    images: List[set] = [set() for _ in range(num_classes)]
    for idx in range(len(dataset)):
        for inst in dataset.get_data_info(idx).get('instances', ()):
            label = inst['bbox_label']
            if not inst.get('ignore_flag', 0) and 0 <= label < num_classes:
                images[label].add(idx)
    return [np.array(sorted(s), dtype=np.int64) for s in images]


@DATASETS.register_module()
class ClassImagePairDataset:
    """Wraps a detection dataset (``dataset``: config or object) as (class, image) pairs.

    Attributes:
        images_per_class: per label, the wrapped dataset's indices of its images.
        class_offsets: index of each class's first pair (``num_classes + 1`` entries).
        instance_counts: per label, the training instance count (the wrapped dataset's
            ``instance_counts`` metainfo).
    """

    def __init__(self, dataset, lazy_init: bool = False):
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) else dataset
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def num_classes(self) -> int:
        return len(self.dataset.metainfo['classes'])

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self.images_per_class = class_image_index(self.dataset, self.num_classes)
        counts = self.dataset.metainfo.get('instance_counts')
        if counts is None or len(counts) != self.num_classes:
            raise ValueError(f'{type(self.dataset).__name__} gives no training instance '
                             "count per class (metainfo 'instance_counts'): calibration "
                             'needs an LVISDataset or CocoDataset')
        self.instance_counts = np.asarray(counts, dtype=np.int64)
        sizes = np.array([len(v) for v in self.images_per_class], dtype=np.int64)
        self.class_offsets = np.concatenate([[0], np.cumsum(sizes)])
        self._fully_initialized = True

    @property
    def classes_with_images(self) -> np.ndarray:
        """Labels that have at least one training image (the only ones ever drawn)."""
        return np.flatnonzero(np.diff(self.class_offsets) > 0)

    def __len__(self) -> int:
        return int(self.class_offsets[-1])

    def pair(self, index: int) -> Tuple[int, int]:
        """(label, wrapped dataset index) of pair ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f'pair index {index} out of range [0, {len(self)})')
        label = int(np.searchsorted(self.class_offsets, index, side='right') - 1)
        return label, int(self.images_per_class[label][index - self.class_offsets[label]])

    def get_data_info(self, index: int) -> Dict:
        label, idx = self.pair(index)
        info = self.dataset.get_data_info(idx)
        info['drawn_label'] = label
        return info

    def __getitem__(self, index: int) -> dict:
        label, idx = self.pair(index)
        # prepare_data, not __getitem__: the latter may swap in a random other image.
        data = self.dataset.prepare_data(idx)
        if data is None:
            raise RuntimeError(f'the pipeline dropped image {idx} (drawn for class {label}); '
                               'calibration pipelines must keep every image')
        data['data_samples'].set_metainfo(dict(drawn_label=label))
        return data
