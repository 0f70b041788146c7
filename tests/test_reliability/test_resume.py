"""--resume takes the latest checkpoint of this work dir, says clearly when its record
is broken, and a run killed during its final validation runs it when resumed."""
import shutil

import pytest
from mmengine.hooks import Hook

from mmdet.registry import HOOKS
from mmdet.utils import CheckpointError, latest_checkpoint
from reliability_testing import run_train

ONE_EPOCH = {'train_cfg.max_epochs': 1}


@HOOKS.register_module(force=True)
class DieInFinalValidationHook(Hook):
    """Stands for a kill during the final validation (after the last checkpoint)."""

    def before_val_epoch(self, runner) -> None:
        if runner.epoch == runner.train_loop.max_epochs:
            raise KeyboardInterrupt('killed during the final validation')


@HOOKS.register_module(force=True)
class RecordValidationHook(Hook):
    metrics = []

    def after_val_epoch(self, runner, metrics=None) -> None:
        type(self).metrics.append((runner.epoch, dict(metrics or {})))


def test_copied_work_dir_resumes_from_its_own_checkpoint(toy, tmp_path):
    _, cfg, _ = toy
    original, copy = tmp_path / 'original', tmp_path / 'copy'
    run_train(cfg, original, cfg_options=ONE_EPOCH)
    assert (original / 'last_checkpoint').read_text().startswith(str(original))
    shutil.copytree(original, copy)
    shutil.rmtree(original)  # resuming from the original's path would fail
    assert latest_checkpoint(str(copy)) == str(copy / 'epoch_1.pth')
    runner = run_train(cfg, copy, resume='auto', cfg_options={'train_cfg.max_epochs': 2})
    assert runner.epoch == 2 and (copy / 'epoch_2.pth').exists()


def test_empty_record_of_a_run_killed_while_writing_it_resumes_from_the_newest(toy, tmp_path):
    _, cfg, _ = toy
    work = tmp_path / 'work'
    run_train(cfg, work, cfg_options={'train_cfg.max_epochs': 2})
    (work / 'last_checkpoint').write_text('')  # the hook truncated it, then was killed
    assert latest_checkpoint(str(work)) == str(work / 'epoch_2.pth')
    runner = run_train(cfg, work, resume='auto', cfg_options={'train_cfg.max_epochs': 3})
    assert runner.epoch == 3 and (work / 'epoch_3.pth').exists()


@pytest.mark.parametrize('record, error', [('', 'is empty and'),
                                           ('\x00\x01garbage\n\n', 'is damaged'),
                                           ('/elsewhere/epoch_9.pth', 'has no such checkpoint')])
def test_broken_last_checkpoint_record_is_a_clear_error(toy, tmp_path, record, error):
    _, cfg, _ = toy
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'last_checkpoint').write_text(record)
    with pytest.raises(CheckpointError, match=error):
        run_train(cfg, work, resume='auto')


def test_run_killed_in_final_validation_validates_when_resumed(toy, tmp_path):
    _, cfg, _ = toy
    work = tmp_path / 'work'
    hooks = {'custom_hooks': [dict(type='DieInFinalValidationHook'),
                              dict(type='RecordValidationHook')]}
    RecordValidationHook.metrics.clear()
    with pytest.raises(KeyboardInterrupt):
        run_train(cfg, work, cfg_options=hooks)
    assert [epoch for epoch, _ in RecordValidationHook.metrics] == [1]
    assert (work / 'epoch_2.pth').exists()  # saved before the final validation
    run_train(cfg, work, resume='auto',
              cfg_options={'custom_hooks': [dict(type='RecordValidationHook')]})
    epochs = [epoch for epoch, _ in RecordValidationHook.metrics]
    assert epochs == [1, 2]
    assert 'lvis/bbox_AP' in RecordValidationHook.metrics[-1][1]
