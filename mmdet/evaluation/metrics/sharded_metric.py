"""A metric whose per-image results go to per-rank shard files on disk, not to memory."""
import os.path as osp
from abc import abstractmethod
from typing import Any, Iterable, Optional

from mmengine.dist import all_gather_object, broadcast_object_list, is_main_process
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log

from mmdet.utils.io import atomic_write
from ..result_shards import ShardWriter, merge_shards, write_pickled_list


class ShardedMetric(BaseMetric):
    """Like mmengine's ``BaseMetric``, but ``process`` hands each image's result to
    :meth:`add_result`, which appends it to this rank's shard file (see
    ``result_shards``): memory stays flat however many images are tested.

    ``evaluate(size)`` closes the shards, gathers their paths (which also waits for every
    rank), and rank 0 calls ``compute_metrics`` with an iterator over the first ``size``
    results in dataset order (the sampler's padding dropped), as ``BaseMetric`` does with
    its list. The metrics are broadcast to all ranks, then each rank deletes its shard.
    When ``compute_metrics`` fails, the results are first written to
    ``{rescue_dir}/{ClassName}[.{prefix}].unevaluated.pkl`` (no default prefix) (a pickled list of the
    per-image results, as ``--out`` writes them), so the pass is not lost, and every rank
    raises (none waits for a broadcast that never comes).

    Args:
        shard_dir: folder for the shard files (every rank must see it); None: a
            temporary folder per rank (enough on one machine).
        rescue_dir: folder for the results of a failed evaluation (tools give the work
            dir); None: they are not kept.
        collect_device: unused (results travel through the shard files); kept so that
            configs written for ``BaseMetric`` still build.
    """

    def __init__(self, shard_dir: Optional[str] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None, rescue_dir: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.shard_dir = shard_dir
        self.rescue_dir = rescue_dir
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
        failure = None
        try:
            outcome = [None]
            if is_main_process():
                try:
                    computed = self.compute_metrics(merge_shards(paths, size))
                    if self.prefix:
                        computed = {f'{self.prefix}/{k}': v for k, v in computed.items()}
                    outcome = [computed]
                except Exception as err:
                    failure = err
                    outcome = [_Failed(self._rescue(err, paths, size))]
            broadcast_object_list(outcome)
        finally:
            if shard is not None:
                shard.remove()
        if isinstance(outcome[0], _Failed):
            if failure is not None:
                failure.add_note(outcome[0].message)
                raise failure
            raise RuntimeError(outcome[0].message)
        return outcome[0]

    def _rescue(self, err: Exception, paths, size: int) -> str:
        """Write the results of a failed evaluation; returns what to tell the user."""
        message = f'{type(self).__name__} evaluation failed ({type(err).__name__}: {err})'
        if self.rescue_dir is None:
            return message
        own_prefix = self.prefix and self.prefix != getattr(self, 'default_prefix', None)
        name = type(self).__name__ + (f'.{self.prefix}' if own_prefix else '')
        path = osp.join(self.rescue_dir, f'{name}.unevaluated.pkl')
        try:
            atomic_write(path, lambda f: write_pickled_list(f, merge_shards(paths, size)))
        except Exception as write_err:  # report both; the evaluation error comes first
            return f'{message}; its results could not be written to {path}: {write_err}'
        print_log(f'{message}: the results of the pass were written to {path}',
                  logger='current', level=40)
        return f'{message}; the results of the pass were written to {path}'


class _Failed:
    """What rank 0 broadcasts when the evaluation failed."""

    def __init__(self, message: str):
        self.message = message
