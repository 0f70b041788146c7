"""Published checkpoints: the weights only, named with their sha256 prefix."""
import hashlib
import os
from pathlib import Path
from typing import Union

import torch

from .checkpoint import extract_state_dict, read_checkpoint
from .io import atomic_write


def sha256_of(path: Union[str, Path], chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(chunk), b''):
            digest.update(block)
    return digest.hexdigest()


def publish_checkpoint(in_file: Union[str, Path], out_file: Union[str, Path]) -> str:
    """Write ``in_file``'s weights (its ``state_dict`` only: no optimizer, scheduler,
    log or meta) to ``<out_file stem>-<first 8 sha256 hex digits>.pth``; returns that
    path. The input is read weights-only like any checkpoint."""
    state = dict(extract_state_dict(read_checkpoint(in_file)))  # without DDP's "module."
    out = Path(out_file)
    stem = out.name[:-len('.pth')] if out.name.endswith('.pth') else out.name
    tmp = out.with_name(f'{stem}.unnamed.pth')
    atomic_write(tmp, lambda f: torch.save({'state_dict': state}, f))
    final = out.with_name(f'{stem}-{sha256_of(tmp)[:8]}.pth')
    os.replace(tmp, final)
    return str(final)
