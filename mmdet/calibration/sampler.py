"""Bi-level class-balanced sampling (SimCal stage 2), as an infinite batch sampler.

Level 1 draws a class among the classes that have training images: uniformly by
default, or with probability proportional to ``min(instance_count, count_cap) **
class_prob_power`` (the original's hook; power 0 is uniform). Level 2 draws
``images_per_class`` of that class's images uniformly, with replacement. Batches are
lists of indices of a :class:`ClassImagePairDataset`, so every image comes with the
class it was drawn for.

The batch is the method's knob, set here and nowhere else: ``num_classes_per_iter``
classes per iteration over ALL processes (16 in SimCal, whatever the number of
processes), ``images_per_class`` images each; every process draws
``num_classes_per_iter / world_size`` of the classes. Each process draws its own stream
from ``SeedSequence(seed, spawn_key=(rank,))``: reproducible and independent.
"""
import itertools
from typing import Iterator, List, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.logging import print_log
from torch.utils.data import Sampler

from mmdet.registry import DATA_SAMPLERS

_CHUNK = 1024  # classes drawn per call to the generator


@DATA_SAMPLERS.register_module()
class BiLevelClassBatchSampler(Sampler):
    """Infinite batches of (class, image) pair indices.

    In a config (mmengine builds a ``sampler`` before every ``batch_sampler``; this one
    takes the dataset and the run's seed from it)::

        train_dataloader = dict(
            batch_size=None,  # the batch sampler sizes the batches
            sampler=dict(type='InfiniteSampler'),
            batch_sampler=dict(type='BiLevelClassBatchSampler', num_classes_per_iter=16),
            dataset=dict(type='ClassImagePairDataset', dataset=...))

    Args:
        sampler: the element sampler mmengine built: its ``dataset`` (a
            :class:`ClassImagePairDataset`) and ``seed`` are used; its indices are not.
        batch_size: must be None (given by mmengine from ``train_dataloader``).
        num_classes_per_iter: classes per iteration over all processes (16 in SimCal).
        images_per_class: images drawn for each drawn class (1 in SimCal).
        class_prob_power: ``tau`` of ``min(count, count_cap) ** tau``; 0 = uniform.
        count_cap: cap of the instance count in the class probability.
        seed: base seed, the same on all ranks (None: the sampler's, else synchronised).
    """

    def __init__(self, sampler, batch_size: Optional[int] = None,
                 num_classes_per_iter: int = 16, images_per_class: int = 1,
                 class_prob_power: float = 0.0, count_cap: int = 100,
                 seed: Optional[int] = None) -> None:
        dataset = getattr(sampler, 'dataset', None)
        if not hasattr(dataset, 'class_offsets'):
            raise TypeError(f'{type(self).__name__} needs a ClassImagePairDataset, got '
                            f'{type(dataset).__name__}')
        if batch_size is not None:
            raise ValueError(
                f'train_dataloader.batch_size={batch_size} conflicts with '
                f'{type(self).__name__}, which sizes the batches: num_classes_per_iter '
                'classes over all processes x images_per_class images; set batch_size=None '
                'and change num_classes_per_iter / images_per_class instead')
        if num_classes_per_iter < 1 or images_per_class < 1:
            raise ValueError('num_classes_per_iter and images_per_class must be >= 1, got '
                             f'{num_classes_per_iter} and {images_per_class}')
        self.rank, self.world_size = get_dist_info()
        if num_classes_per_iter % self.world_size:
            raise ValueError(f'num_classes_per_iter={num_classes_per_iter} does not split '
                             f'evenly over {self.world_size} processes')
        dataset.full_init()
        self.sampler = sampler  # mmengine's hooks look for it (set_epoch)
        self.dataset = dataset
        self.num_classes_per_iter = num_classes_per_iter
        self.images_per_class = images_per_class
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)

        self.classes = np.asarray(dataset.classes_with_images, dtype=np.int64)
        if self.classes.size == 0:
            raise ValueError('no class has a training image: nothing to calibrate on')
        self.offsets = np.asarray(dataset.class_offsets, dtype=np.int64)
        self.sizes = np.diff(self.offsets)
        counts = np.minimum(np.asarray(dataset.instance_counts)[self.classes], count_cap)
        weights = counts.astype(np.float64) ** float(class_prob_power)
        self.class_probs = None if class_prob_power == 0 else weights / weights.sum()
        print_log(f'bi-level class-balanced batches: {num_classes_per_iter} classes per '
                  f'iteration over {self.world_size} process(es), {images_per_class} '
                  f'image(s) each: {self.batch_size} images per process',
                  logger='current')

    @property
    def classes_per_rank(self) -> int:
        return self.num_classes_per_iter // self.world_size

    @property
    def batch_size(self) -> int:
        """Images per iteration on each process."""
        return self.classes_per_rank * self.images_per_class

    def draw_classes(self, rng: np.random.Generator, num: int) -> np.ndarray:
        if self.class_probs is None:
            return self.classes[rng.integers(0, len(self.classes), size=num)]
        return rng.choice(self.classes, size=num, p=self.class_probs)

    def pair_stream(self) -> Iterator[int]:
        """This process's pair indices: a drawn class's ``images_per_class`` images
        follow each other."""
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.rank,)))
        while True:
            labels = self.draw_classes(rng, _CHUNK)
            picks = rng.integers(0, self.sizes[labels][:, None],
                                 size=(_CHUNK, self.images_per_class))
            yield from (self.offsets[labels][:, None] + picks).reshape(-1).tolist()

    def __iter__(self) -> Iterator[List[int]]:
        stream = self.pair_stream()
        while True:
            yield list(itertools.islice(stream, self.batch_size))

    def __len__(self) -> int:
        """Infinite; like mmengine's InfiniteSampler, report the dataset's size (in
        batches)."""
        return max(len(self.dataset) // self.batch_size, 1)
