"""Safe checkpoint loading that reports missing, unexpected and mis-shaped keys by name."""
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from torch import nn


def _numpy_globals() -> list:
    """The numpy types that training checkpoints hold (arrays, scalars, dtypes)."""
    import numpy as np
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    dtype_classes = [getattr(np.dtypes, name) for name in dir(np.dtypes)
                     if name.endswith('DType')] if hasattr(np, 'dtypes') else []
    return [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype] + dtype_classes


torch.serialization.add_safe_globals(_numpy_globals())


class CheckpointError(RuntimeError):
    """A checkpoint that does not fit the model, or a file that is not a checkpoint."""


def read_checkpoint(filename: Union[str, Path], map_location='cpu') -> dict:
    """``torch.load`` with ``weights_only=True``; errors name the file."""
    path = Path(filename)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # pickle errors, truncated files, unsafe globals
        raise CheckpointError(f'cannot read checkpoint {path}: {exc}') from exc
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'checkpoint {path} holds a {type(ckpt).__name__}, '
                              f'expected a dict (a state_dict or {{"state_dict": ...}})')
    return ckpt


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
    """Load a checkpoint file into ``model``; returns the checkpoint dict."""
    ckpt = read_checkpoint(filename, map_location)
    load_state_dict(model, extract_state_dict(ckpt), strict=strict, source=str(filename),
                    logger=logger)
    return ckpt
