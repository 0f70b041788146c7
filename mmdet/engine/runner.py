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

from mmengine.dist import broadcast_object_list, master_only
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader
from mmengine.runner import Runner as _Runner

from mmdet.registry import HOOKS, RUNNERS
from mmdet.utils.checkpoint import (extract_state_dict, load_state_dict, partial_load_of,
                                    register_checkpoint_loaders)
from mmdet.utils.model_versions import check_checkpoint_version, model_convention
from .hooks import TrainCountsHook
from .run_checks import RunChecksHook

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
        that only loaded weights keeps its own. An iteration-based loop then skips the
        batches already trained on by loading them (mmengine's way); with the data
        pipeline in this process (``num_workers=0``) that loading would draw from the
        restored random states, so it is made to leave them as they are."""
        self._start_iter = runner.iter
        states, self._random_states = getattr(self, '_random_states', None), None
        if states and runner.iter > 0:
            version, internal, gauss = states['python']
            random.setstate((version, tuple(internal), gauss))
            np.random.set_state(tuple(states['numpy']))
            torch.set_rng_state(states['torch'])
        loop = runner.train_loop
        if (runner.iter > 0 and hasattr(loop, 'dataloader_iterator')
                and getattr(loop.dataloader, 'num_workers', 0) == 0):
            loop.dataloader_iterator = _RandomStatePreservingSkip(loop.dataloader_iterator,
                                                                  runner.iter)


    def after_train(self, runner) -> None:
        """A run resumed from its last checkpoint has no step left; if it was killed
        during the final validation, that validation has not happened: run it."""
        loop = runner.train_loop
        if runner.iter == 0 or runner.iter != getattr(self, '_start_iter', None):
            return
        by_epoch = hasattr(loop, 'max_epochs')
        done, end = ((runner.epoch, loop.max_epochs) if by_epoch
                     else (runner.iter, loop.max_iters))
        val_interval = getattr(loop, 'val_interval', None)
        if (done < end or runner.val_loop is None or not val_interval
                or done < getattr(loop, 'val_begin', 1)):
            return
        if done % val_interval == 0 or done == end:
            runner.logger.info('resumed at the end of training: running the final '
                               'validation')
            runner.val_loop.run()


class _RandomStatePreservingSkip:
    """The first ``num_skipped`` batches (those a resumed iteration-based loop loads to
    skip them) are loaded with the random states saved before and restored after."""

    def __init__(self, iterator, num_skipped: int):
        self._iterator, self._remaining = iterator, num_skipped

    def __iter__(self):
        return self

    def __next__(self):
        if self._remaining <= 0:
            return next(self._iterator)
        self._remaining -= 1
        states = random.getstate(), np.random.get_state(), torch.get_rng_state()
        try:
            return next(self._iterator)
        finally:
            random.setstate(states[0])
            np.random.set_state(states[1])
            torch.set_rng_state(states[2])


@RUNNERS.register_module()
class Runner(_Runner):
    """Checkpoints are written to a temporary file, synced and renamed, so a run killed
    while saving leaves the previous checkpoint intact. Loading is strict: a weight of
    the model that the checkpoint lacks or holds in another shape stops the run, unless
    the config's ``partial_load`` lists it (see :func:`mmdet.utils.load_state_dict`)."""

    def __init__(self, *args, **kwargs):
        register_checkpoint_loaders()
        super().__init__(*args, **kwargs)
        for hook_type in (ResumableStateHook, RunChecksHook, TrainCountsHook):
            if not any(isinstance(h, hook_type) for h in self.hooks):
                self.register_hook(hook_type())

    def load_checkpoint(self, filename: str, map_location='cpu', strict: bool = True,
                        revise_keys=((r'^module\.', ''),)) -> dict:
        """Load (or, called by ``resume``, restore) a checkpoint; mmengine's
        non-strict default is not taken: the config's ``partial_load`` says what may not
        fit."""
        checkpoint = CheckpointLoader.load_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        state = extract_state_dict(checkpoint, revise_keys)
        check_checkpoint_version(checkpoint, state, model_convention(model), filename)
        load_state_dict(model, state, strict=True, source=filename,
                        **partial_load_of(self.cfg))
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, *args, **kwargs) -> None:
        tmp_name = f'.{filename}.tmp'
        tmp_path, path = osp.join(out_dir, tmp_name), osp.join(out_dir, filename)
        try:
            super().save_checkpoint(out_dir, tmp_name, *args, **kwargs)
            with open(tmp_path, 'rb') as f:
                os.fsync(f.fileno())
            os.replace(tmp_path, path)
        except BaseException as err:
            if osp.exists(tmp_path):
                os.unlink(tmp_path)  # a full disk is not kept full by the partial file
            if isinstance(err, Exception):
                raise OSError(f'cannot write checkpoint {path}: {err}'
                              f'{_space_hint(out_dir)}') from err
            raise

    def setup_env(self, env_cfg: dict) -> None:
        """mmengine's, with a log folder of this run's own: a run started in the same
        second as another in the work dir gets ``{timestamp}_1`` (and so on)."""
        super().setup_env(env_cfg)
        names = [self._timestamp]
        if self.rank == 0:
            os.makedirs(self.work_dir, exist_ok=True)
            base, n = self._timestamp, 0
            while True:
                name = base if n == 0 else f'{base}_{n}'
                try:
                    os.mkdir(osp.join(self.work_dir, name))
                    break
                except FileExistsError:
                    n += 1
            names = [name]
        if self.world_size > 1:
            broadcast_object_list(names)
        self._timestamp = names[0]


def _space_hint(folder: str) -> str:
    import shutil
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ''
    return f' ({free / 2**20:.1f} MiB free on its disk)' if free < 2**30 else ''
