"""Safe checkpoint reading for mmengine's checkpoint loader, and loading that reports
missing, unexpected and mis-shaped keys by name.

:func:`register_checkpoint_loaders` makes mmengine's ``CheckpointLoader`` (behind
``Runner.load_checkpoint``, ``Runner.resume`` and ``mmengine.runner.load_checkpoint``)
read local files and http(s) URLs with ``torch.load(weights_only=True)`` and an explicit
allow-list of the numpy types training checkpoints hold; nothing else is unpickled.
"""
import hashlib
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader
from torch import nn


def allowed_globals() -> list:
    """The numpy types that training checkpoints hold (arrays, scalars, dtypes)."""
    import numpy as np
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    dtype_classes = [getattr(np.dtypes, name) for name in dir(np.dtypes)
                     if name.endswith('DType')] if hasattr(np, 'dtypes') else []
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtype_classes


class CheckpointError(RuntimeError):
    """A checkpoint that does not fit the model, or a file that is not a checkpoint."""


def read_checkpoint(filename: Union[str, Path], map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True``; errors name the file."""
    path = Path(filename).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle errors, truncated files, unsafe globals
        raise CheckpointError(f'cannot read checkpoint {path}: {exc}') from exc
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'checkpoint {path} holds a {type(ckpt).__name__}, '
                              f'expected a dict (a state_dict or {{"state_dict": ...}})')
    return ckpt


def read_url_checkpoint(url: str, map_location='cpu') -> dict:
    """A checkpoint from an http(s) URL, downloaded once into torch hub's cache (named by
    the URL's hash and file name), then read as :func:`read_checkpoint` reads files.
    Each process that finds no cached copy downloads one (to a temporary file, moved into
    place when complete): no process waits for another."""
    cache = Path(torch.hub.get_dir()) / 'checkpoints'
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    path = cache / f'{digest}-{os.path.basename(urlparse(url).path)}'
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(path), progress=False)
    return read_checkpoint(path, map_location)


def load_from_local_weights_only(filename: str, map_location=None) -> dict:
    return read_checkpoint(filename, map_location)


def load_from_http_weights_only(url: str, map_location=None) -> dict:
    return read_url_checkpoint(url, map_location)


def register_checkpoint_loaders() -> None:
    """Let mmengine's checkpoint loader read local files and http(s) URLs through
    :func:`read_checkpoint` (weights only, explicit allow-list). mmengine names a
    loader by its function name after ``load_from_``."""
    CheckpointLoader.register_scheme('', load_from_local_weights_only, force=True)
    CheckpointLoader.register_scheme(('http://', 'https://'), load_from_http_weights_only,
                                     force=True)


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


def load_state_dict(model: nn.Module, state: Dict[str, torch.Tensor], strict: bool = False,
                    source: str = 'checkpoint', logger: Optional[str] = 'current'
                    ) -> Tuple[List[str], List[str], List[str]]:
    """Load what fits; report (or with ``strict``, refuse) what does not, by name."""
    model_state = model.state_dict()
    missing, unexpected, mismatched = compare_state_dicts(model_state, state)
    problems = []
    if missing:
        problems.append(f'missing keys in {source}: {", ".join(missing)}')
    if unexpected:
        problems.append(f'unexpected keys in {source}: {", ".join(unexpected)}')
    if mismatched:
        problems.append(f'mis-shaped keys in {source}: {"; ".join(mismatched)}')
    if strict and problems:
        raise CheckpointError('\n'.join(problems))
    bad = {m.split(':')[0] for m in mismatched}
    model.load_state_dict({k: v for k, v in state.items() if k not in bad}, strict=False)
    for problem in problems:
        print_log(problem, logger=logger, level=30)
    return missing, unexpected, mismatched


def load_checkpoint(model: nn.Module, filename: Union[str, Path], map_location='cpu',
                    strict: bool = False, logger: Optional[str] = 'current') -> dict:
    """Load a checkpoint (a file or URL, read by mmengine's checkpoint loader) into
    ``model``, reporting what does not fit by name; returns the checkpoint dict."""
    register_checkpoint_loaders()
    ckpt = CheckpointLoader.load_checkpoint(str(filename), map_location, logger=logger)
    load_state_dict(model, extract_state_dict(ckpt), strict=strict, source=str(filename),
                    logger=logger)
    return ckpt
