"""Bad inputs and a full disk give errors that name the file or value, and leave
nothing behind."""
import errno
import json
import os

import pytest
import torch

from mmdet.datasets import LVISDataset
from mmdet.utils import atomic_write
from reliability_testing import run_train


def test_training_set_empty_after_filtering_is_named(toy, tmp_path):
    _, cfg, data_root = toy
    with pytest.raises(ValueError, match=r'lvis_toy_train\.json: no training image left after '
                       r'filtering 12 images'):
        run_train(cfg, tmp_path / 'work', cfg_options={
            'train_dataloader.dataset.filter_cfg.min_size': 1000})


def test_annotations_of_unknown_images_are_skipped_and_counted(toy, tmp_path, caplog):
    _, _, data_root = toy
    with open(data_root + 'annotations/lvis_toy_val.json') as f:
        data = json.load(f)
    orphan = dict(data['annotations'][0], id=10**6, image_id=10**6)
    data['annotations'].append(orphan)
    path = tmp_path / 'orphan.json'
    path.write_text(json.dumps(data))
    from mmengine.logging import MMLogger
    MMLogger.get_instance('orphans')
    dataset = LVISDataset(ann_file=str(path), data_root=data_root, pipeline=[],
                          test_mode=True)
    assert dataset.num_skipped_annotations == {'with an image id the file does not define': 1}
    kept = sum(len(dataset.get_data_info(i)['instances']) for i in range(len(dataset)))
    assert kept == len(data['annotations']) - 1


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_saving_a_checkpoint_names_it_and_leaves_no_temporary_file(
        toy, tmp_path, monkeypatch):
    _, cfg, _ = toy
    from mmengine.fileio.backends import LocalBackend

    def put_half(self, obj, filepath):  # the disk fills up half-way through the file
        with open(filepath, 'wb') as f:
            f.write(obj[:len(obj) // 2])
        _disk_full()
    monkeypatch.setattr(LocalBackend, 'put', put_half)
    work = tmp_path / 'work'
    with pytest.raises(OSError, match=r'cannot write checkpoint .*epoch_1\.pth: .*No space '
                       'left on device'):
        run_train(cfg, work, cfg_options={'train_cfg.max_epochs': 1})
    assert not [p for p in os.listdir(work) if p.endswith('.tmp')]
    assert not (work / 'epoch_1.pth').exists()


def test_full_disk_while_writing_results_names_the_file(tmp_path):
    """A real full disk (a 256 KiB tmpfs) where the test may mount one, else an
    injected ENOSPC half-way through the file."""
    folder = tmp_path / 'small'
    folder.mkdir()
    mounted = os.system(f'mount -t tmpfs -o size=256k tmpfs {folder} 2>/dev/null') == 0

    def write(f):
        f.write(os.urandom(1 << 20 if mounted else 10))
        if not mounted:
            _disk_full()
        f.flush()
    try:
        with pytest.raises(OSError, match=r'cannot write .*results\.pkl: No space left'):
            atomic_write(folder / 'results.pkl', write)
        assert os.listdir(folder) == []
    finally:
        if mounted:
            os.system(f'umount {folder}')


def test_result_files_get_the_permissions_of_checkpoints(tmp_path):
    atomic_write(tmp_path / 'results.json', lambda f: f.write(b'[]'))
    torch.save({}, tmp_path / 'checkpoint.pth')
    mode = lambda name: os.stat(tmp_path / name).st_mode & 0o777  # noqa: E731
    assert mode('results.json') == mode('checkpoint.pth')
