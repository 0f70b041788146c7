"""Repeat-factor sampling (RFS) for long-tailed datasets such as LVIS.

Gupta et al., "LVIS: A Dataset for Large Vocabulary Instance Segmentation", 2019:
images that contain rare categories are shown more often in each epoch.

For a category ``c`` let ``f(c)`` be the fraction of training images that contain it.
Its repeat factor is ``r(c) = max(1, sqrt(t / f(c)))`` for a threshold ``t``
(``repeat_thr``); an image's repeat factor is the largest over the categories it
contains, ``r(i) = max_{c in i} r(c)``, and 1 for an image without annotations.

Every epoch, image ``i`` is put ``floor(r(i))`` times into the epoch's list, plus once
more with probability ``r(i) - floor(r(i))`` (stochastic rounding, so the expected count
is exactly ``r(i)``). The list is shuffled and split across ranks.
"""
import itertools
import math
from typing import Iterator, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from mmdet.registry import DATA_SAMPLERS


def compute_repeat_factors(cat_ids_per_image, repeat_thr, num_classes=None):
    """Per-category and per-image repeat factors.

    Args:
        cat_ids_per_image (Sequence[Iterable[int]]): for every image, the category
            indices (0-based labels) of its instances; duplicates are allowed and
            counted once, an empty entry is an image without annotations.
        repeat_thr (float): the threshold ``t``.
        num_classes (int, optional): number of categories; defaults to the largest
            index seen plus one.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``(category_factors, image_factors)``, float64
        arrays of shape ``(num_classes,)`` and ``(num_images,)``. Categories that occur
        in no image get a factor of 1 (they affect no image).
    """
    num_images = len(cat_ids_per_image)
    lengths = np.fromiter((len(c) for c in cat_ids_per_image), dtype=np.int64,
                          count=num_images)
    cats = np.fromiter(itertools.chain.from_iterable(cat_ids_per_image),
                       dtype=np.int64, count=int(lengths.sum()))
    if cats.size and cats.min() < 0:
        raise ValueError(f'category indices must be >= 0, got {int(cats.min())}')
    seen = int(cats.max()) + 1 if cats.size else 0
    if num_classes is None or num_classes < seen:
        num_classes = seen
    images = np.repeat(np.arange(num_images, dtype=np.int64), lengths)

    # unique (image, category) pairs: an image counts once per category it contains
    pairs = np.unique(images * max(num_classes, 1) + cats)
    pair_images, pair_cats = np.divmod(pairs, max(num_classes, 1))

    image_count = np.bincount(pair_cats, minlength=num_classes).astype(np.float64)
    category_factors = np.ones(num_classes, dtype=np.float64)
    present = image_count > 0
    freq = image_count[present] / max(num_images, 1)
    category_factors[present] = np.maximum(1.0, np.sqrt(repeat_thr / freq))

    image_factors = np.ones(num_images, dtype=np.float64)
    np.maximum.at(image_factors, pair_images, category_factors[pair_cats])
    return category_factors, image_factors


@DATA_SAMPLERS.register_module()
class RepeatFactorSampler(Sampler):
    """LVIS repeat-factor sampling, in mmengine's sampler protocol.

    The per-image repeat factors are computed once, at construction, from
    ``dataset.get_cat_ids(idx)``. Each epoch's list of indices is a function of
    ``seed + epoch`` only (stochastic rounding of the factors, then a shuffle, both
    from one ``torch.Generator``), so all ranks build the same list as long as they
    share the seed (``sync_random_seed()`` when ``seed`` is None, as mmengine's
    ``DefaultSampler``), and the list differs between epochs but is reproducible.

    The epoch's list is split across ranks like mmengine's ``DefaultSampler``: with
    ``round_up`` it is padded by wrapping around to a multiple of the world size and
    rank ``r`` takes ``indices[r::world_size]``, so every rank gets the same number;
    without it, ranks may differ by one.

    Note:
        The length VARIES PER EPOCH (the stochastic rounding draws a different number
        of repeats). ``len(sampler)`` is exact for the current epoch (the one last
        passed to :meth:`set_epoch`, 0 before any call): the epoch's list is built
        lazily and cached, and ``__iter__`` yields exactly that many indices. Anything
        that reads the length once up front (e.g. mmengine's ``EpochBasedTrainLoop``
        computing ``max_iters`` from the dataloader's length at construction, or
        iteration-based parameter schedulers converted from epochs) only gets epoch 0's
        length, a close estimate: :attr:`expected_epoch_size` is ``sum(r(i))``.

    Args:
        dataset (Sized): dataset with ``__len__`` and ``get_cat_ids(idx)``.
        repeat_thr (float): the threshold ``t``; categories in a smaller fraction of
            the images than ``t`` are oversampled. Defaults to 1e-3 (LVIS).
        shuffle (bool): shuffle the epoch's list. Without it, the repeats of an image
            are consecutive, in image order. Defaults to True.
        seed (int, optional): must be the same on all ranks. Defaults to None
            (``sync_random_seed()``).
        round_up (bool): pad the epoch's list so that it divides evenly among the
            ranks. Defaults to True.
    """

    def __init__(self,
                 dataset: Sized,
                 repeat_thr: float = 1e-3,
                 shuffle: bool = True,
                 seed: Optional[int] = None,
                 round_up: bool = True) -> None:
        if repeat_thr < 0:
            raise ValueError(f'repeat_thr must be >= 0, got {repeat_thr}')
        rank, world_size = get_dist_info()
        self.rank = rank
        self.world_size = world_size
        self.dataset = dataset
        self.repeat_thr = float(repeat_thr)
        self.shuffle = shuffle
        self.seed = sync_random_seed() if seed is None else seed
        self.round_up = round_up
        self.epoch = 0

        metainfo = getattr(dataset, 'metainfo', None) or {}
        classes = metainfo.get('classes')
        num_classes = len(classes) if classes is not None else None
        cat_ids = [dataset.get_cat_ids(idx) for idx in range(len(dataset))]
        cat_factors, img_factors = compute_repeat_factors(cat_ids, self.repeat_thr,
                                                          num_classes)
        self.category_repeat_factors = torch.from_numpy(cat_factors)
        self.repeat_factors = torch.from_numpy(img_factors)
        self._floor = torch.floor(self.repeat_factors)
        self._frac = self.repeat_factors - self._floor
        self._floor = self._floor.long()

        self._cached_epoch = None
        self._cached_indices = None  # this rank's indices for _cached_epoch

    @property
    def expected_epoch_size(self) -> float:
        """Expected length of an epoch's list over all ranks (before padding)."""
        return float(self.repeat_factors.sum())

    def get_epoch_indices(self, epoch: Optional[int] = None) -> torch.Tensor:
        """The whole list of dataset indices of an epoch (all ranks, no padding).

        Args:
            epoch (int, optional): defaults to the current epoch.
        """
        epoch = self.epoch if epoch is None else epoch
        g = torch.Generator()
        g.manual_seed(self.seed + epoch)
        extra = torch.rand(len(self.repeat_factors), generator=g,
                           dtype=torch.float64) < self._frac
        counts = self._floor + extra.long()
        indices = torch.repeat_interleave(torch.arange(len(counts)), counts)
        if self.shuffle:
            indices = indices[torch.randperm(len(indices), generator=g)]
        return indices

    def _rank_indices(self) -> torch.Tensor:
        if self._cached_epoch != self.epoch:
            indices = self.get_epoch_indices(self.epoch)
            total = len(indices)
            if self.round_up and total > 0:
                padded = math.ceil(total / self.world_size) * self.world_size
                if padded > total:
                    reps = math.ceil(padded / total)
                    indices = indices.repeat(reps)[:padded]
            self._cached_indices = indices[self.rank::self.world_size]
            self._cached_epoch = self.epoch
        return self._cached_indices

    def __iter__(self) -> Iterator[int]:
        return iter(self._rank_indices().tolist())

    def __len__(self) -> int:
        """Number of indices this rank yields in the current epoch (varies per epoch)."""
        return len(self._rank_indices())

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose list the next iteration (and ``len``) uses."""
        self.epoch = epoch
