"""Safe checkpoint reading for mmengine's checkpoint loader, and strict loading: a
weight the model has but the checkpoint lacks, or holds in another shape, is an error
naming the keys, unless the config allows it (``partial_load``).

:func:`register_checkpoint_loaders` makes mmengine's ``CheckpointLoader`` (behind
``Runner.load_checkpoint``, ``Runner.resume`` and ``mmengine.runner.load_checkpoint``)
read local files and http(s) URLs with ``torch.load(weights_only=True)`` and an explicit
allow-list of the numpy types training checkpoints hold; nothing else is unpickled.
"""
import fnmatch
import hashlib
import logging
import os
import pickle
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from torch import nn


HISTORY_BUFFER_STATISTICS = ('min', 'max', 'mean', 'current')


def _history_buffer_statistic(owner, name: str):
    """Stands for ``getattr`` while a checkpoint is read: mmengine's runners pickle each
    log ``HistoryBuffer`` with its statistics methods, as ``getattr(HistoryBuffer,
    'mean')`` and so on; those, and nothing else, are resolved."""
    from mmengine.logging import HistoryBuffer
    if owner is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(f'refused getattr({owner!r}, {name!r}) in a checkpoint')


def allowed_globals() -> list:
    """What ``torch.load(weights_only=True)`` may build besides tensors and plain
    containers: the numpy types training checkpoints hold (arrays, scalars, dtypes) and
    mmengine's log ``HistoryBuffer`` with its statistics methods (in the checkpoints
    mmdetection 3.x runners write)."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    dtype_classes = [getattr(np.dtypes, name) for name in dir(np.dtypes)
                     if name.endswith('DType')] if hasattr(np, 'dtypes') else []
    return ([multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtype_classes
            + [HistoryBuffer, (_history_buffer_statistic, 'builtins.getattr')])


class CheckpointError(RuntimeError):
    """A checkpoint that does not fit the model, or a file that is not a checkpoint."""


def read_checkpoint(filename: Union[str, Path], map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True``; errors name the file."""
    path = Path(filename).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    _check_checkpoint_format(path)
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle errors, truncated files, unsafe globals
        raise CheckpointError(f'cannot read checkpoint {path} ({type(exc).__name__}): '
                              f'{exc}') from exc
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'checkpoint {path} holds a {type(ckpt).__name__}, '
                              f'expected a dict (a state_dict or {{"state_dict": ...}})')
    return ckpt


def _check_checkpoint_format(path: Path) -> None:
    """``torch.save`` writes a zip archive (or, before torch 1.6, a pickle stream):
    anything else is not a checkpoint, whatever its name."""
    with open(path, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK') or head[:1] == b'\x80':
        return
    what = 'an empty file' if not head else f'a file starting with {head!r}'
    raise CheckpointError(f'{path} is not a checkpoint: {what}, while torch.save writes a '
                          'zip archive (or a pickle stream)')


SHA256_PREFIX = re.compile(r'-([a-f0-9]{8,64})\.[A-Za-z]+$')  # publish_model.py's names


def read_url_checkpoint(url: str, map_location='cpu') -> dict:
    """A checkpoint from an http(s) URL, downloaded once into torch hub's cache (named by
    the URL's hash and file name), then read as :func:`read_checkpoint` reads files.
    A file name ending in ``-<hex>.pth`` (mmdetection's published checkpoints) must
    have a sha256 starting with that hex; a download that does not is discarded.
    Each process that finds no cached copy downloads one (to a temporary file, moved into
    place when complete): no process waits for another."""
    cache = Path(torch.hub.get_dir()) / 'checkpoints'
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    name = os.path.basename(urlparse(url).path)
    path = cache / f'{digest}-{name}'
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        expected = SHA256_PREFIX.search(name)
        try:
            torch.hub.download_url_to_file(url, str(path), progress=False,
                                           hash_prefix=expected[1] if expected else None)
        except (RuntimeError, OSError) as err:  # a wrong hash, HTTP errors
            raise CheckpointError(f'cannot download {url}: {err}; nothing was kept') from None
    return read_checkpoint(path, map_location)


def load_from_local_weights_only(filename: str, map_location=None) -> dict:
    return read_checkpoint(filename, map_location)


def load_from_http_weights_only(url: str, map_location=None) -> dict:
    return read_url_checkpoint(url, map_location)


def read_named_checkpoint(name: str, urls: Dict[str, str], source: str,
                          map_location=None) -> dict:
    """``scheme://NAME``: the checkpoint that the table ``urls`` gives NAME (``source``
    names the table in the error), through :func:`read_url_checkpoint`."""
    model = name.split('://', 1)[1]
    if model not in urls:
        raise CheckpointError(f'{name}: {source} has no weights named {model!r}; known: '
                              f'{", ".join(sorted(urls)[:20])}')
    return read_url_checkpoint(urls[model], map_location)


def load_from_torchvision_weights_only(name: str, map_location=None) -> dict:
    """``torchvision://resnet50``: torchvision's ImageNet weights (names as mmengine
    lists them: ``resnet50``, ``resnet50.imagenet1k_v1``, ...)."""
    from mmengine.runner.checkpoint import get_torchvision_models
    return read_named_checkpoint(name, get_torchvision_models(), 'torchvision', map_location)


def load_from_openmmlab_weights_only(name: str, map_location=None) -> dict:
    """``open-mmlab://resnext101_64x4d``: ImageNet weights as mmdetection configs name
    them (mmengine's table)."""
    from mmengine.runner.checkpoint import get_external_models
    return read_named_checkpoint(name, get_external_models(), 'open-mmlab', map_location)


def load_from_zoo_weights_only(name: str, map_location=None) -> dict:
    """``zoo://NAME``: a published model of :mod:`mmdet.utils.zoo`."""
    from .zoo import ZOO
    return read_named_checkpoint(name, {k: v.url for k, v in ZOO.items()}, 'the zoo',
                                 map_location)


def register_checkpoint_loaders() -> None:
    """Let mmengine's checkpoint loader read local files, http(s) URLs, ``zoo://``,
    ``torchvision://`` and ``open-mmlab://`` names through :func:`read_checkpoint` (weights only, explicit
    allow-list). mmengine names a loader by its function name after ``load_from_``."""
    CheckpointLoader.register_scheme('', load_from_local_weights_only, force=True)
    CheckpointLoader.register_scheme(('http://', 'https://'), load_from_http_weights_only,
                                     force=True)
    CheckpointLoader.register_scheme(('torchvision://', 'modelzoo://'),
                                     load_from_torchvision_weights_only, force=True)
    CheckpointLoader.register_scheme('zoo://', load_from_zoo_weights_only, force=True)
    CheckpointLoader.register_scheme(('open-mmlab://', 'openmmlab://'),
                                     load_from_openmmlab_weights_only, force=True)


def latest_checkpoint(folder: str) -> Optional[str]:
    """The checkpoint that ``folder/last_checkpoint`` (written by mmengine's checkpoint
    hook) names, taken from ``folder`` itself: a copied or moved work dir resumes from
    its own checkpoint, never from the original's. None when there is no record."""
    record = os.path.join(folder, 'last_checkpoint')
    if not os.path.exists(record):
        return None
    try:
        with open(record, encoding='utf-8') as f:
            name = f.read().strip()
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f'cannot read {record}: {err}; delete it, or resume from '
                              'a checkpoint (--resume CKPT)') from None
    if not name:
        # mmengine's hook truncates the record, then writes it: a run killed between the
        # two leaves it empty, after the (atomically saved) checkpoint it was to name
        newest = newest_numbered_checkpoint(folder)
        if newest is None:
            raise CheckpointError(f'{record} is empty and {folder} holds no epoch_N.pth or '
                                  'iter_N.pth; delete it, or resume from a checkpoint '
                                  '(--resume CKPT)')
        print_log(f'{record} is empty (a run killed while writing it); resuming from the '
                  f'newest checkpoint, {newest}', logger='current', level=logging.WARNING)
        return newest
    if not name.isprintable():
        raise CheckpointError(f'{record} is damaged: it should name the last checkpoint; '
                              'delete it, or resume from a checkpoint (--resume CKPT)')
    path = os.path.join(folder, os.path.basename(name))
    if not os.path.isfile(path):
        raise CheckpointError(f'{record} names {name}, and {folder} has no such checkpoint; '
                              'delete the record, or resume from a checkpoint (--resume CKPT)')
    return path


def newest_numbered_checkpoint(folder: str) -> Optional[str]:
    """The newest ``epoch_N.pth`` or ``iter_N.pth`` in ``folder`` (latest written, then
    highest N), or None."""
    found = []
    for name in os.listdir(folder):
        match = re.fullmatch(r'(?:epoch|iter)_(\d+)\.pth', name)
        path = os.path.join(folder, name)
        if match and os.path.isfile(path):
            found.append((os.path.getmtime(path), int(match.group(1)), path))
    return max(found)[2] if found else None


def extract_state_dict(ckpt: dict, revise_keys: Iterable[Tuple[str, str]] = ((r'^module\.', ''),)
                       ) -> 'OrderedDict[str, torch.Tensor]':
    """The weights of a checkpoint: its ``state_dict`` (or ``model``) entry, or itself."""
    state = ckpt.get('state_dict', ckpt.get('model', ckpt))
    out = OrderedDict()
    for key, value in state.items():
        for pattern, repl in revise_keys:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def compare_state_dicts(model_state: Dict[str, torch.Tensor], state: Dict[str, torch.Tensor]
                        ) -> Tuple[List[str], List[str], List[str]]:
    """Missing, unexpected and mis-shaped keys ('key: checkpoint shape vs model shape')."""
    missing = [k for k in model_state if k not in state]
    unexpected = [k for k in state if k not in model_state]
    mismatched = [f'{k}: checkpoint {tuple(v.shape)} vs model {tuple(model_state[k].shape)}'
                  for k, v in state.items()
                  if k in model_state and hasattr(v, 'shape') and v.shape != model_state[k].shape]
    return missing, unexpected, mismatched


AGNOSTIC_SENSITIVE = ('*bbox_head*.fc_reg.*', '*mask_head*.conv_logits.*')


def _matches(key: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(key, p) for p in patterns)


def _listed(keys: Sequence[str], limit: int = 12) -> str:
    shown = ', '.join(keys[:limit])
    return shown + (f' (and {len(keys) - limit} more)' if len(keys) > limit else '')


def load_state_dict(model: nn.Module, state: Dict[str, torch.Tensor], strict: bool = True,
                    allow_missing: Sequence[str] = (), allow_reinit: Sequence[str] = (),
                    source: str = 'checkpoint', logger: Optional[str] = 'current'
                    ) -> Tuple[List[str], List[str], List[str]]:
    """Load ``state`` into ``model``; returns the missing, unexpected and mis-shaped keys.

    With ``strict`` (the default), a weight of the model that the checkpoint lacks or
    holds in another shape is an error naming the keys and shapes, unless it matches a
    pattern (``fnmatch``, e.g. ``'roi_head.calib_head.*'``) of ``allow_missing`` or
    ``allow_reinit``: such weights keep their initialisation, and the log says so.
    Keys the model does not have are reported and ignored. Without ``strict`` every
    problem is only reported."""
    model_state = model.state_dict()
    missing, unexpected, mismatched = compare_state_dicts(model_state, state)
    bad_shape = {m.split(':')[0] for m in mismatched}
    refused = []
    if strict:
        refused_missing = [k for k in missing if not _matches(k, allow_missing)]
        refused_shape = [m for m in mismatched
                         if not _matches(m.split(':')[0], allow_reinit)]
        if refused_missing:
            refused.append(f'{len(refused_missing)} weights of the model are missing from '
                           f'{source}: {_listed(refused_missing)}')
        if refused_shape:
            refused.append(f'{len(refused_shape)} weights of {source} do not fit the '
                           f'model: {_listed(refused_shape, 6)}')
            if any(_matches(m.split(':')[0], AGNOSTIC_SENSITIVE) for m in refused_shape):
                refused.append('A class-wise head has 4 regression rows (1 mask channel) '
                               'per class, a class-agnostic one 4 (1): the config\'s '
                               'bbox_head.reg_class_agnostic and mask_head.class_agnostic '
                               'must be those the checkpoint was trained with.')
    if refused:
        raise CheckpointError(
            '\n'.join(refused) + '\nThe checkpoint does not fit the config\'s model. If '
            'this partial load is deliberate, list the keys in the config: partial_load = '
            "dict(missing=['prefix.*', ...], reinit=[...]) (missing: may be absent; "
            'reinit: may have another shape; both keep their initialisation).')
    model.load_state_dict({k: v for k, v in state.items() if k not in bad_shape}, strict=False)
    if missing:
        print_log(f'{len(missing)} weights keep their initialisation (not in {source}): '
                  f'{_listed(missing)}', logger=logger, level=30)
    if mismatched:
        print_log(f'{len(mismatched)} weights of {source} skipped (other shape): '
                  f'{_listed(mismatched, 6)}', logger=logger, level=30)
    if unexpected:
        print_log(f'{len(unexpected)} weights of {source} ignored (not in the model): '
                  f'{_listed(unexpected)}', logger=logger, level=30)
    return missing, unexpected, mismatched


def partial_load_of(cfg) -> Dict[str, List[str]]:
    """The config's ``partial_load = dict(missing=[...], reinit=[...])`` as keyword
    arguments of :func:`load_state_dict` (nothing allowed when absent)."""
    spec = dict((cfg or {}).get('partial_load') or {})
    unknown = set(spec) - {'missing', 'reinit'}
    if unknown:
        raise KeyError(f'partial_load has keys nothing reads: {sorted(unknown)}; known: '
                       'missing, reinit')
    as_list = lambda v: [v] if isinstance(v, str) else list(v or ())  # noqa: E731
    return dict(allow_missing=as_list(spec.get('missing')),
                allow_reinit=as_list(spec.get('reinit')))


def load_checkpoint(model: nn.Module, filename: Union[str, Path], map_location='cpu',
                    strict: bool = True, logger: Optional[str] = 'current',
                    allow_missing: Sequence[str] = (), allow_reinit: Sequence[str] = ()
                    ) -> dict:
    """Load a checkpoint (a file or URL, read by mmengine's checkpoint loader) into
    ``model`` as :func:`load_state_dict` does; returns the checkpoint dict."""
    register_checkpoint_loaders()
    from .model_versions import check_checkpoint_version, model_convention
    ckpt = CheckpointLoader.load_checkpoint(str(filename), map_location, logger=logger)
    state = extract_state_dict(ckpt)
    check_checkpoint_version(ckpt, state, model_convention(model), str(filename))
    load_state_dict(model, state, strict=strict,
                    allow_missing=allow_missing, allow_reinit=allow_reinit,
                    source=str(filename), logger=logger)
    return ckpt
