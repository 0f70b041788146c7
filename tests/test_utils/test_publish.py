"""tools/model_converters/publish_model.py: weights only, named by their sha256 prefix,
and such names are checked when downloaded."""
import hashlib

import pytest
import torch

from mmdet.utils import CheckpointError, load_checkpoint, read_checkpoint
from mmdet.utils.checkpoint import register_checkpoint_loaders
from http_testing import name_by_sha256, serve_folder
from tool_testing import run_tool


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))


def test_publish_keeps_the_weights_and_names_the_file_by_its_sha256(tmp_path):
    model = _model()
    full = {'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()},
            'optimizer': {'state': {}, 'param_groups': []}, 'meta': {'epoch': 12},
            'message_hub': {}, 'param_schedulers': []}
    torch.save(full, tmp_path / 'epoch_12.pth')
    out = run_tool('tools/model_converters/publish_model.py', str(tmp_path / 'epoch_12.pth'),
                   str(tmp_path / 'mask_rcnn_toy.pth')).stdout.strip().splitlines()[-1]
    digest = hashlib.sha256(open(out, 'rb').read()).hexdigest()
    assert out == str(tmp_path / f'mask_rcnn_toy-{digest[:8]}.pth')
    published = read_checkpoint(out)
    assert list(published) == ['state_dict']
    assert published['state_dict'].keys() == model.state_dict().keys()
    for key, value in model.state_dict().items():
        assert torch.equal(published['state_dict'][key], value)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ['epoch_12.pth', f'mask_rcnn_toy-{digest[:8]}.pth'])


def test_download_checks_the_sha256_prefix_in_the_name(tmp_path, monkeypatch):
    register_checkpoint_loaders()
    served = tmp_path / 'served'
    served.mkdir()
    torch.save({'state_dict': _model().state_dict()}, served / 'plain.pth')
    digest = hashlib.sha256((served / 'plain.pth').read_bytes()).hexdigest()
    (served / f'good-{digest[:8]}.pth').write_bytes((served / 'plain.pth').read_bytes())
    (served / 'bad-0123abcd.pth').write_bytes((served / 'plain.pth').read_bytes())
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with serve_folder(served) as url:
        load_checkpoint(_model(), f'{url}/good-{digest[:8]}.pth')
        with pytest.raises(CheckpointError, match=r'bad-0123abcd\.pth: invalid hash value'):
            load_checkpoint(_model(), f'{url}/bad-0123abcd.pth')
        with pytest.raises(CheckpointError, match=r'cannot download .*missing\.pth'):
            load_checkpoint(_model(), f'{url}/missing.pth')
        cached = sorted(p.name.split('-', 1)[1] for p in (tmp_path / 'hub/checkpoints').iterdir())
        assert cached == [f'good-{digest[:8]}.pth']  # nothing kept of the bad download


def test_torchvision_names_download_weights_only_by_their_url(tmp_path, monkeypatch):
    """``init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet18')`` on a
    fresh machine: the name's URL is downloaded once and read weights-only."""
    import mmengine.runner.checkpoint as mmengine_checkpoint
    from mmengine.runner import CheckpointLoader

    from mmdet.models.backbones import ResNet
    register_checkpoint_loaders()
    served = tmp_path / 'served'
    served.mkdir()
    source = ResNet(depth=18)
    torch.save(source.state_dict(), served / 'resnet18.pth')
    name = name_by_sha256(served / 'resnet18.pth').name
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with serve_folder(served) as base:
        url = f'{base}/{name}'
        monkeypatch.setattr(mmengine_checkpoint, 'get_torchvision_models',
                            lambda: {'resnet18': url})
        backbone = ResNet(depth=18, init_cfg=dict(type='Pretrained',
                                                  checkpoint='torchvision://resnet18'))
        backbone.init_weights()
        for key, value in source.state_dict().items():
            assert torch.equal(backbone.state_dict()[key], value), key
        cached = [p.name for p in (tmp_path / 'hub/checkpoints').iterdir()]
        url_hash = hashlib.sha256(url.encode()).hexdigest()[:8]
        assert cached == [f'{url_hash}-{name}']  # our weights-only reader
        with pytest.raises(CheckpointError, match='no weights named'):
            CheckpointLoader.load_checkpoint('torchvision://resnet9000')
