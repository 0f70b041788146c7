"""Per-rank result shards: during a test loop each rank appends its per-image results to
its own pickle stream on disk instead of keeping them in memory; rank 0 reads all the
streams back, merged in the dataset order mmengine's ``collect_results`` uses.

Every rank must see the shard folder (a local temporary folder is enough on one machine;
give a shared folder, e.g. under the work dir, for several machines).
"""
import os
import pickle
import re
import shutil
import socket
import tempfile
import weakref
from contextlib import ExitStack
from typing import IO, Any, Iterable, Iterator, List, Optional, Sequence

from mmengine.dist import get_rank
from mmengine.logging import print_log


class ShardWriter:
    """Appends objects to this rank's pickle stream
    ``<folder>/<name>.rank<R>.<host>-<pid>.<random>.pkl``, created on the first append
    (the random part keeps concurrent runs and metrics apart).

    ``folder=None`` uses a new temporary folder, removed with the shard; a given folder is
    created if needed and removed with the shard once it is left empty. The shard is
    removed by :meth:`remove`, and also when the writer is dropped or the process exits.
    A killed process cannot remove its shard: the next writer on the same machine
    removes the shards of processes of this machine that no longer run.
    """

    def __init__(self, folder: Optional[str], name: str):
        self.folder, self.name = folder, name
        self.path: Optional[str] = None
        self._file: Optional[IO[bytes]] = None
        self._remover: Optional[weakref.finalize] = None

    def append(self, obj: Any) -> None:
        if self._file is None:
            self._open()
        pickle.dump(obj, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def close(self) -> Optional[str]:
        """Close the stream; returns its path (None when nothing was appended)."""
        if self._file is not None:
            self._file.close()
        return self.path

    def remove(self) -> None:
        if self._remover is not None:
            self._remover()

    def _open(self) -> None:
        if self.path is not None:
            raise RuntimeError(f'result shard {self.path} is closed')
        own_folder = self.folder is None
        if own_folder:
            folder = tempfile.mkdtemp(prefix='result_shards.')
        else:
            folder = os.path.abspath(self.folder)
            os.makedirs(folder, exist_ok=True)
            remove_orphan_shards(folder)
        fd, self.path = tempfile.mkstemp(
            dir=folder, prefix=f'{self.name}.rank{get_rank()}.{_HOST}-{os.getpid()}.',
            suffix='.pkl')
        self._file = os.fdopen(fd, 'wb')
        self._remover = weakref.finalize(self, _remove_shard, self._file, self.path, own_folder)


_HOST = socket.gethostname().replace('.', '_').replace('-', '_')
_OWNER = re.compile(r'\.rank\d+\.(?P<host>[^.]+)-(?P<pid>\d+)\.[^.]*\.pkl$')


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_orphan_shards(folder: str) -> List[str]:
    """Delete the shards in ``folder`` left by killed processes of this machine (their
    process no longer runs); returns their paths."""
    removed = []
    for name in os.listdir(folder):
        owner = _OWNER.search(name)
        if owner and owner['host'] == _HOST and not _running(int(owner['pid'])):
            path = os.path.join(folder, name)
            try:
                os.unlink(path)
                removed.append(path)
            except FileNotFoundError:
                pass
    if removed:
        print_log(f'removed {len(removed)} result shards of killed runs from {folder}',
                  logger='current', level=30)
    return removed


def _remove_shard(file: IO[bytes], path: str, own_folder: bool) -> None:
    file.close()
    if os.path.exists(path):
        os.unlink(path)
    folder = os.path.dirname(path)
    if own_folder:
        shutil.rmtree(folder, ignore_errors=True)
    else:
        try:
            os.rmdir(folder)  # only once every shard in it is gone
        except OSError:
            pass


def read_shard(path: str) -> Iterator[Any]:
    """The objects of one shard, in the order they were appended."""
    try:
        f = open(path, 'rb')
    except FileNotFoundError:
        raise FileNotFoundError(
            f'result shard {path} not found: every rank must see the shard folder '
            '(set the metric\'s shard_dir to a shared folder)') from None
    with f:
        size = os.fstat(f.fileno()).st_size
        while f.tell() < size:
            start = f.tell()
            try:
                obj = pickle.load(f)
            except Exception as err:
                raise ValueError(f'{path}: truncated or corrupt result shard at byte '
                                 f'{start} ({type(err).__name__}: {err})') from None
            yield obj


def merge_shards(paths: Sequence[Optional[str]], size: int) -> Iterator[Any]:
    """The results of all ranks (``paths[r]``: rank r's shard, None if it had none) in
    dataset order, the first ``size`` only.

    As in mmengine's ``collect_results``, rank r's i-th result is dataset item
    ``i * world_size + r`` (``DefaultSampler`` without shuffling), and the items past
    ``size`` are the duplicates the sampler pads the last round with.
    """
    with ExitStack() as stack:
        streams = []
        for path in paths:
            if path is not None:
                stream = read_shard(path)
                stack.callback(stream.close)
                streams.append(stream)
        count = 0
        while streams and count < size:
            alive = []
            for stream in streams:
                result = next(stream, _END)
                if result is _END:
                    continue
                yield result
                count += 1
                if count == size:
                    return
                alive.append(stream)
            streams = alive
        if count < size:
            print_log(f'result shards hold {count} results for a dataset of {size}',
                      logger='current', level=30)


_END = object()


def write_pickled_list(f: IO[bytes], items: Iterable[Any]) -> int:
    """Write ``items`` to ``f`` as one pickled list, item by item, holding one at a time;
    ``pickle.load`` reads back a plain list. Returns the number of items.

    The stream is that of pickle protocol 3: ``PROTO 3``, ``EMPTY_LIST``, then per item
    its own protocol-3 pickle (without ``PROTO`` and ``STOP``) and ``APPEND``, then
    ``STOP``. Protocol 3 numbers its memo entries explicitly, so each item, pickled on
    its own, only refers to entries it stored itself.
    """
    f.write(pickle.PROTO + b'\x03' + pickle.EMPTY_LIST)
    count = 0
    for item in items:
        data = pickle.dumps(item, protocol=3)
        f.write(memoryview(data)[2:-1])  # without PROTO 3 and STOP
        f.write(pickle.APPEND)
        count += 1
    f.write(pickle.STOP)
    return count
