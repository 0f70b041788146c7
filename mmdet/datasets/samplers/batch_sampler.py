"""Batch sampler that groups images of the same orientation (less padding per batch)."""
import math
from typing import Iterator, List

from torch.utils.data import BatchSampler, Sampler

from mmdet.registry import DATA_SAMPLERS

LANDSCAPE, PORTRAIT = 0, 1  # width >= height, width < height


@DATA_SAMPLERS.register_module()
class AspectRatioBatchSampler(BatchSampler):
    """Batches of images that share an orientation (``width >= height`` or not).

    Indices from ``sampler`` go into one of two groups by orientation; a group is
    yielded as a batch as soon as it holds ``batch_size`` indices. When the sampler is
    exhausted, the leftovers of both groups (each shorter than ``batch_size``) are
    concatenated and yielded in chunks of ``batch_size``: at most one of these final
    batches mixes orientations, and the last one may be short; it is dropped when
    ``drop_last``.

    Every index the sampler yields appears in exactly one batch when ``drop_last`` is
    False. ``__len__`` is ``len(sampler) // batch_size`` with ``drop_last`` (exact: all
    batches but possibly a short last one are full) and ``ceil(len(sampler) /
    batch_size)`` without it, which is exact too for a finite sampler whose ``len`` is
    the number of indices it yields (mmengine's ``DefaultSampler``, our
    ``RepeatFactorSampler`` for its current epoch), and an upper bound otherwise. With an
    infinite sampler (mmengine's ``InfiniteSampler``) the iteration never ends, the
    leftovers are never flushed, and ``len`` only describes one pass over the dataset.

    The orientation of a dataset index is read from ``get_data_info(idx)`` (``width``,
    ``height``) the first time it is met and cached, so repeated epochs do not decode
    the annotations again.

    Args:
        sampler (Sampler): inner sampler of dataset indices; its dataset is taken from
            ``sampler.dataset`` (mmengine samplers) or ``sampler.data_source``
            (PyTorch samplers) and must provide ``get_data_info(idx)``.
        batch_size (int): images per batch.
        drop_last (bool): drop the final short batch. Defaults to False.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False) -> None:
        super().__init__(sampler, batch_size, drop_last)  # validates batch_size, drop_last
        dataset = getattr(sampler, 'dataset', None)
        if dataset is None:
            dataset = getattr(sampler, 'data_source', None)
        if dataset is None or not hasattr(dataset, 'get_data_info'):
            raise TypeError(
                f'{type(self).__name__} needs a sampler with a `dataset` (or '
                f'`data_source`) that has `get_data_info(idx)`, got '
                f'{type(sampler).__name__}')
        self.dataset = dataset
        self._orientation = {}

    def orientation(self, idx: int) -> int:
        """0 for ``width >= height`` (landscape or square), 1 for portrait."""
        flag = self._orientation.get(idx)
        if flag is None:
            info = self.dataset.get_data_info(idx)
            try:
                width, height = info['width'], info['height']
            except KeyError as err:
                raise KeyError(f'data info of index {idx} has no {err}: '
                               f'{type(self).__name__} needs `width` and `height`') from None
            flag = LANDSCAPE if width >= height else PORTRAIT
            self._orientation[idx] = flag
        return flag

    def __iter__(self) -> Iterator[List[int]]:
        groups = ([], [])
        for idx in self.sampler:
            group = groups[self.orientation(idx)]
            group.append(idx)
            if len(group) == self.batch_size:
                yield group[:]
                group.clear()
        leftovers = groups[LANDSCAPE] + groups[PORTRAIT]
        for start in range(0, len(leftovers), self.batch_size):
            batch = leftovers[start:start + self.batch_size]
            if len(batch) < self.batch_size and self.drop_last:
                break
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)
