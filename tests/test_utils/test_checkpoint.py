import pytest
import torch
from torch import nn

from mmdet.utils import (CheckpointError, extract_state_dict, load_checkpoint, load_state_dict,
                         read_checkpoint)
from http_testing import serve_folder


def make_model():
    return nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))


class Custom:
    pass


def test_reports_missing_unexpected_and_misshaped_keys(tmp_path):
    state = make_model().state_dict()
    state['extra.weight'] = torch.zeros(1)
    state['1.weight'] = torch.zeros(5, 3)
    del state['1.bias']
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in state.items()}}, path)
    model = make_model()
    before = model[1].weight.clone()
    missing, unexpected, mismatched = load_state_dict(
        model, extract_state_dict(torch.load(path, weights_only=True)), strict=False)
    assert missing == ['1.bias'] and unexpected == ['extra.weight']
    assert mismatched == ['1.weight: checkpoint (5, 3) vs model (2, 3)']
    assert torch.equal(model[0].weight, state['0.weight'])  # what fits is loaded
    assert torch.equal(model[1].weight, before)  # what does not is left alone
    with pytest.raises(CheckpointError) as err:  # strict by default
        load_checkpoint(make_model(), path)
    for name in ('missing from', '1.bias', 'do not fit', str(path),
                 '1.weight: checkpoint (5, 3) vs model (2, 3)', 'partial_load'):
        assert name in str(err.value)
    assert 'extra.weight' not in str(err.value)  # keys the model lacks are only reported
    allowed = make_model()
    load_checkpoint(allowed, path, allow_missing=['1.*'], allow_reinit=['1.weight'])
    assert torch.equal(allowed[0].weight, state['0.weight'])
    with pytest.raises(CheckpointError, match=r'1\.weight: checkpoint'):
        load_checkpoint(make_model(), path, allow_missing=['1.bias'])


def test_unsafe_or_missing_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint(make_model(), tmp_path / 'nope.pth')

    path = tmp_path / 'pickle.pth'
    torch.save({'state_dict': {}, 'obj': Custom()}, path)
    with pytest.raises(CheckpointError, match='pickle.pth'):
        load_checkpoint(make_model(), path)


def test_mmengine_loader_reads_weights_only_with_the_allow_list(tmp_path):
    """Registered with mmengine's CheckpointLoader, our reader serves every mmengine
    load path: numpy values (as our checkpoints hold) load, other globals never do."""
    import numpy as np
    from mmengine.runner import CheckpointLoader
    from mmengine.runner import load_checkpoint as mmengine_load_checkpoint

    from mmdet.utils.checkpoint import register_checkpoint_loaders
    register_checkpoint_loaders()
    model = make_model()
    path = tmp_path / 'ours.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'seed': np.int64(3), 'state': np.arange(4)}}, path)
    ckpt = CheckpointLoader.load_checkpoint(str(path), 'cpu')
    assert ckpt['meta']['seed'] == 3 and ckpt['meta']['state'].tolist() == [0, 1, 2, 3]
    other = make_model()
    mmengine_load_checkpoint(other, str(path))
    assert torch.equal(other[0].weight, model[0].weight)
    bad = tmp_path / 'pickle.pth'
    torch.save({'state_dict': {}, 'obj': Custom()}, bad)
    with pytest.raises(CheckpointError, match='pickle.pth'):
        CheckpointLoader.load_checkpoint(str(bad), 'cpu')
    with pytest.raises(Exception, match='weights only|Unsupported global'):
        torch.load(bad, weights_only=True)  # nothing was allowed globally either


def test_http_checkpoints_are_downloaded_once_and_read_weights_only(tmp_path, monkeypatch):
    from mmdet.utils.checkpoint import register_checkpoint_loaders
    register_checkpoint_loaders()
    served = tmp_path / 'served'
    served.mkdir()
    model = make_model()
    torch.save({'state_dict': model.state_dict()}, served / 'det.pth')
    torch.save({'obj': Custom()}, served / 'evil.pth')
    requests = []
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with serve_folder(served, requests) as url:
        for _ in range(2):
            loaded = make_model()
            load_checkpoint(loaded, f'{url}/det.pth')
            assert torch.equal(loaded[1].weight, model[1].weight)
        assert requests == ['/det.pth']  # cached after the first download
        assert [p.name.split('-', 1)[1] for p in (tmp_path / 'hub' / 'checkpoints').iterdir()
                ] == ['det.pth']
        with pytest.raises(CheckpointError, match='evil.pth'):
            load_checkpoint(make_model(), f'{url}/evil.pth')


def test_mmdet3_runner_checkpoint_is_read_weights_only(test_data):
    from mmengine.logging import HistoryBuffer
    ckpt = read_checkpoint(test_data('mmdet_reference/mmdet3_runner_checkpoint.pth'))
    assert {'meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers'} <= set(ckpt)
    buffers = ckpt['message_hub']['log_scalars']
    assert all(isinstance(b, HistoryBuffer) for b in buffers.values())
    assert buffers['train/loss'].mean() == pytest.approx(buffers['train/loss'].data[0].mean())
    assert ckpt['meta']['dataset_meta']['classes'][0] == 'class_0'


class _GetattrOf:
    """Pickles as ``getattr(owner, name)``."""

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


@pytest.mark.parametrize('owner, name', [('HistoryBuffer', '__init__'),
                                         ('HistoryBuffer', 'update'), ('Popen', 'communicate')])
def test_getattr_in_a_checkpoint_resolves_only_history_buffer_statistics(tmp_path, owner, name):
    import subprocess

    from mmengine.logging import HistoryBuffer
    target = HistoryBuffer if owner == 'HistoryBuffer' else subprocess.Popen
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'meta': {'hook': _GetattrOf(target, name)}}, path)
    with pytest.raises(CheckpointError, match='evil.pth'):
        read_checkpoint(path)
