"""mmdetection's LVIS model zoo by name: each entry's config builds exactly the weights
its published checkpoint holds (names and shapes from mmdetection 3.3, see
tests/data/make_lvis_zoo_shapes.py), and ``zoo://NAME`` reads the entry's URL."""
import gzip
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmdet.utils.zoo as zoo
from mmdet.apis import init_detector
from mmdet.registry import MODELS
from mmdet.utils import CheckpointError
from mmdet.utils.checkpoint import SHA256_PREFIX
from data_testing import fixture_path
from http_testing import name_by_sha256, serve_folder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def mmdet_shapes():
    path = fixture_path('mmdet_reference/lvis_zoo_state_shapes.json.gz')
    with gzip.open(path, 'rt', encoding='utf-8') as f:
        return json.load(f)


def test_every_zoo_model_has_its_config_and_reference(mmdet_shapes):
    assert set(zoo.ZOO) == set(mmdet_shapes)
    for name, entry in zoo.ZOO.items():
        assert entry.config == f'configs/lvis/{name}.py'
        assert entry.url.startswith('https://download.openmmlab.com/mmdetection/')
        assert SHA256_PREFIX.search(entry.url), entry.url  # checked when downloaded


@pytest.mark.parametrize('name', sorted(zoo.ZOO))
def test_zoo_config_builds_the_published_weights(name, mmdet_shapes):
    cfg = Config.fromfile(str(REPO / zoo.ZOO[name].config))
    cfg.model.backbone.init_cfg = None
    ours = {k: list(v.shape) for k, v in MODELS.build(cfg.model).state_dict().items()}
    assert ours == dict(mmdet_shapes[name]['state'])


def test_zoo_names_load_through_the_weights_only_url_reader(tmp_path, monkeypatch):
    cfg = str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')
    torch.manual_seed(0)
    source = MODELS.build(Config.fromfile(cfg).model)
    served = tmp_path / 'served'
    served.mkdir()
    # as mmdetection 2.x saved its zoo models: meta with the config text and CLASSES
    torch.save(dict(meta=dict(mmdet_version='2.4.0', CLASSES=tuple('abcdefgh'),
                              config=Config.fromfile(cfg).pretty_text, epoch=24),
                    state_dict=source.state_dict(), optimizer=dict(state={}, param_groups=[])),
               served / 'toy_zoo.pth')
    name = name_by_sha256(served / 'toy_zoo.pth').name
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with serve_folder(served) as url:
        monkeypatch.setitem(zoo.ZOO, 'toy_zoo', zoo.ZooModel(f'{url}/{name}', cfg, 0., 0.))
        model = init_detector(cfg, 'zoo://toy_zoo', fold_norms=False, channels_last=False)
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    with pytest.raises(CheckpointError, match=r'zoo://mask_rcnn_r18: the zoo has no weights '
                                              r'.*mask_rcnn_r50_fpn_sample1e-3_mstrain_2x'):
        init_detector(cfg, 'zoo://mask_rcnn_r18')


def test_open_mmlab_imagenet_names_read_weights_only(tmp_path, monkeypatch):
    """``init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_32x4d')``, as
    mmdetection's ResNeXt configs have it: the name's URL, downloaded once, weights-only."""
    import mmengine.runner.checkpoint as mmengine_checkpoint

    from mmdet.models.backbones import ResNeXt
    source = ResNeXt(depth=50, groups=2, base_width=4, base_channels=8)
    served = tmp_path / 'served'
    served.mkdir()
    torch.save({'state_dict': source.state_dict()}, served / 'resnext.pth')
    name = name_by_sha256(served / 'resnext.pth').name
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with serve_folder(served) as url:
        monkeypatch.setattr(mmengine_checkpoint, 'get_external_models',
                            lambda: {'resnext_tiny': f'{url}/{name}'})
        backbone = ResNeXt(depth=50, groups=2, base_width=4, base_channels=8, init_cfg=dict(
            type='Pretrained', checkpoint='open-mmlab://resnext_tiny'))
        backbone.init_weights()
        with pytest.raises(CheckpointError, match='open-mmlab has no weights named'):
            init_detector(str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'),
                          'open-mmlab://resnext9000')
    for key, value in source.state_dict().items():
        assert torch.equal(backbone.state_dict()[key], value), key
    assert [p.name.split('-', 1)[1] for p in (tmp_path / 'hub/checkpoints').iterdir()] == [name]
