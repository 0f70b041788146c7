"""mmengine's Runner with atomic checkpoints, weights-only loading and exact resuming.

Checkpoints are read by mmengine's own loader, with the weights-only readers of
:func:`mmdet.utils.checkpoint.register_checkpoint_loaders`. mmengine stores its log
history (``HistoryBuffer`` objects) in checkpoints in a form that
``torch.load(weights_only=True)`` refuses (it pickles class methods);
:class:`ResumableStateHook` stores them as plain arrays instead and rebuilds them on
load, so every checkpoint, resumed ones included, is read weights-only with a short
allow-list of numpy types. Checkpoints also carry the random states (python, numpy,
torch), so that a resumed run draws the same flips and RoI samples as an uninterrupted
one.
"""
import os
import os.path as osp
import random

import numpy as np
import torch

from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner as _Runner

from mmdet.registry import HOOKS, RUNNERS
from mmdet.utils.checkpoint import register_checkpoint_loaders

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
        self._random_states = checkpoint.get('meta', {}).get('random_states')
        scalars = checkpoint.get('message_hub', {}).get('log_scalars', {})
        for key, value in list(scalars.items()):
            if isinstance(value, dict) and value.get(_BUFFER_TAG):
                scalars[key] = HistoryBuffer(list(value['log_history']),
                                             list(value['count_history']),
                                             value['max_length'])

    def before_train(self, runner) -> None:
        """A resumed run (past iteration 0) continues the saved random states; a run
        that only loaded weights keeps its own."""
        states, self._random_states = getattr(self, '_random_states', None), None
        if states and runner.iter > 0:
            version, internal, gauss = states['python']
            random.setstate((version, tuple(internal), gauss))
            np.random.set_state(tuple(states['numpy']))
            torch.set_rng_state(states['torch'])


@RUNNERS.register_module()
class Runner(_Runner):
    """Checkpoints are written to a temporary file, synced and renamed, so a run killed
    while saving leaves the previous checkpoint intact."""

    def __init__(self, *args, **kwargs):
        register_checkpoint_loaders()
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
