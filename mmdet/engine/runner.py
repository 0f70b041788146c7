"""mmengine's Runner with atomic checkpoints, weights-only and exact resuming.

mmengine stores its log history (``HistoryBuffer`` objects) in checkpoints in a form
that ``torch.load(weights_only=True)`` refuses (it pickles class methods). We store
them as plain arrays instead and rebuild them on load, so every checkpoint, resumed
ones included, is read with ``weights_only=True`` and a short allow-list of numpy types.
Checkpoints also carry the random states (python, numpy, torch), so that a resumed run
draws the same flips and RoI samples as an uninterrupted one.
"""
import os
import os.path as osp
import random

import numpy as np
import torch

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner as _Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmdet.registry import HOOKS, RUNNERS
from mmdet.utils.checkpoint import read_checkpoint

_BUFFER_TAG = '__history_buffer__'


@HOOKS.register_module()
class ResumableStateHook(Hook):
    """Saves log history as plain arrays and the random states in checkpoints, and
    restores both on resume."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        np_state = np.random.get_state()
        checkpoint.setdefault('meta', {})['random_states'] = dict(
            python=random.getstate(), numpy=list(np_state), torch=torch.get_rng_state())
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, buf in list(scalars.items()):
            if isinstance(buf, HistoryBuffer):
                logs, counts = buf.data
                scalars[key] = {_BUFFER_TAG: True, 'max_length': buf.max_length,
                                'log_history': logs, 'count_history': counts}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        states = checkpoint.get('meta', {}).get('random_states')
        if states and getattr(runner, '_resuming', False):
            version, internal, gauss = states['python']
            random.setstate((version, tuple(internal), gauss))
            np.random.set_state(tuple(states['numpy']))
            torch.set_rng_state(states['torch'])
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, value in list(scalars.items()):
            if isinstance(value, dict) and value.get(_BUFFER_TAG):
                scalars[key] = HistoryBuffer(list(value['log_history']),
                                             list(value['count_history']),
                                             value['max_length'])


@RUNNERS.register_module()
class Runner(_Runner):
    """Checkpoints are written to a temporary file, synced and renamed, so a run killed
    while saving leaves the previous checkpoint intact."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not any(isinstance(h, ResumableStateHook) for h in self.hooks):
            self.register_hook(ResumableStateHook())

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        tmp_name = f'.{filename}.tmp'
        super().save_checkpoint(out_dir, tmp_name, *args, **kwargs)
        tmp_path = osp.join(out_dir, tmp_name)
        with open(tmp_path, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, osp.join(out_dir, filename))

    def resume(self, filename: str, *args, **kwargs) -> None:
        self._resuming = True  # restore random states too (see ResumableStateHook)
        try:
            super().resume(filename, *args, **kwargs)
        finally:
            self._resuming = False

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = False,
                        revise_keys: list = [(r'^module\.', '')]) -> dict:
        checkpoint = read_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        checkpoint = _load_checkpoint_to_model(model, checkpoint, strict,
                                               revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
