"""A metric whose per-image results go to per-rank shard files on disk, not to memory."""
from abc import abstractmethod
from typing import Any, Iterable, Optional

from mmengine.dist import all_gather_object, broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric

from ..result_shards import ShardWriter, merge_shards


class ShardedMetric(BaseMetric):
    """Like mmengine's ``BaseMetric``, but ``process`` hands each image's result to
    :meth:`add_result`, which appends it to this rank's shard file (see
    ``result_shards``): memory stays flat however many images are tested.

    ``evaluate(size)`` closes the shards, gathers their paths (which also waits for every
    rank), and rank 0 calls ``compute_metrics`` with an iterator over the first ``size``
    results in dataset order (the sampler's padding dropped), as ``BaseMetric`` does with
    its list. The metrics are broadcast to all ranks, then each rank deletes its shard
    (also when the evaluation fails: shards are scratch files, not results).

    Args:
        shard_dir: folder for the shard files (every rank must see it); None: a
            temporary folder per rank (enough on one machine).
        collect_device: unused (results travel through the shard files); kept so that
            configs written for ``BaseMetric`` still build.
    """

    def __init__(self, shard_dir: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.shard_dir = shard_dir
        self._shard: Optional[ShardWriter] = None

    def add_result(self, result: Any) -> None:
        if self._shard is None:
            self._shard = ShardWriter(self.shard_dir, type(self).__name__)
        self._shard.append(result)

    @abstractmethod
    def compute_metrics(self, results: Iterable[Any]) -> dict:
        """Metrics of all results (any iterable: the merged shards, or a list)."""

    def evaluate(self, size: int) -> dict:
        shard, self._shard = self._shard, None
        paths = all_gather_object(shard.close() if shard is not None else None)
        try:
            metrics = [None]
            if is_main_process():
                computed = self.compute_metrics(merge_shards(paths, size))
                if self.prefix:
                    computed = {f'{self.prefix}/{k}': v for k, v in computed.items()}
                metrics = [computed]
            broadcast_object_list(metrics)
        finally:
            if shard is not None:
                shard.remove()
        return metrics[0]
