"""Bi-level class-balanced sampling (SimCal stage 2), as an infinite per-rank sampler.

Level 1 draws a class among the classes that have training images: uniformly by
default, or with probability proportional to ``min(instance_count, count_cap) **
class_prob_power`` (the original's hook; power 0 is uniform). Level 2 draws
``images_per_class`` of that class's images uniformly, with replacement. The sampler
yields indices of a :class:`ClassImagePairDataset`, so every image comes with the class
it was drawn for.

Each rank draws its own stream from ``SeedSequence(seed, spawn_key=(rank,))``: the
streams are reproducible and independent, and the global batch of
``num_classes_per_iter`` classes is split over the ranks
(``num_classes_per_iter / world_size`` classes per rank and iteration).
"""
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdet.registry import DATA_SAMPLERS

_CHUNK = 1024  # classes drawn per call to the generator


@DATA_SAMPLERS.register_module()
class BiLevelClassSampler(Sampler):
    """Infinite sampler of (class, image) pair indices.

    Args:
        dataset: a :class:`ClassImagePairDataset` (``class_offsets``, ``instance_counts``).
        num_classes_per_iter: classes per iteration over all ranks (16 in SimCal).
        images_per_class: images drawn for each drawn class (1 in SimCal).
        class_prob_power: ``tau`` of ``min(count, count_cap) ** tau``; 0 = uniform.
        count_cap: cap of the instance count in the class probability.
        seed: base seed, the same on all ranks (None: a synchronised random seed).
    """

    def __init__(self, dataset, num_classes_per_iter: int = 16, images_per_class: int = 1,
                 class_prob_power: float = 0.0, count_cap: int = 100,
                 seed: Optional[int] = None) -> None:
        if not hasattr(dataset, 'class_offsets'):
            raise TypeError(f'{type(self).__name__} needs a ClassImagePairDataset, got '
                            f'{type(dataset).__name__}')
        if num_classes_per_iter < 1 or images_per_class < 1:
            raise ValueError('num_classes_per_iter and images_per_class must be >= 1, got '
                             f'{num_classes_per_iter} and {images_per_class}')
        self.rank, self.world_size = get_dist_info()
        if num_classes_per_iter % self.world_size:
            raise ValueError(f'num_classes_per_iter={num_classes_per_iter} does not split '
                             f'evenly over {self.world_size} processes')
        dataset.full_init()
        self.dataset = dataset
        self.num_classes_per_iter = num_classes_per_iter
        self.images_per_class = images_per_class
        self.seed = sync_random_seed() if seed is None else int(seed)

        self.classes = np.asarray(dataset.classes_with_images, dtype=np.int64)
        if self.classes.size == 0:
            raise ValueError('no class has a training image: nothing to calibrate on')
        self.offsets = np.asarray(dataset.class_offsets, dtype=np.int64)
        self.sizes = np.diff(self.offsets)
        counts = np.minimum(np.asarray(dataset.instance_counts)[self.classes], count_cap)
        weights = counts.astype(np.float64) ** float(class_prob_power)
        self.class_probs = None if class_prob_power == 0 else weights / weights.sum()

    @property
    def classes_per_rank(self) -> int:
        return self.num_classes_per_iter // self.world_size

    @property
    def batch_size_per_rank(self) -> int:
        """Images per iteration on each rank: the data loader's ``batch_size``."""
        return self.classes_per_rank * self.images_per_class

    def draw_classes(self, rng: np.random.Generator, num: int) -> np.ndarray:
        if self.class_probs is None:
            return self.classes[rng.integers(0, len(self.classes), size=num)]
        return rng.choice(self.classes, size=num, p=self.class_probs)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self.rank,)))
        while True:
            labels = self.draw_classes(rng, _CHUNK)
            picks = rng.integers(0, self.sizes[labels][:, None],
                                 size=(_CHUNK, self.images_per_class))
            yield from (self.offsets[labels][:, None] + picks).reshape(-1).tolist()

    def __len__(self) -> int:
        """Infinite; like mmengine's InfiniteSampler, report the dataset's size."""
        return len(self.dataset)

    def set_epoch(self, epoch: int) -> None:
        """The stream does not depend on epochs (one infinite stream per rank)."""
