"""ResNeXt and deformable convolutions against mmdetection 3.3 (mmcv's compiled DCN):
the same stage outputs from the same seeded weights, the names and shapes of an
X101-64x4d-DCN Mask R-CNN, and the fast paths (folded norms, channels-last, training
through folded frozen norms) against the plain one."""
import copy
import gzip
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmdet.models.backbones import ResNet, ResNeXt
from mmdet.models.layers import DeformConv2dPack, ModulatedDeformConv2dPack
from mmdet.registry import MODELS
from mmdet.utils import load_checkpoint
from data_testing import fixture_path, load_reference
from seeded_weights import seeded_state

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope='module')
def reference():
    return load_reference('resnext_dcn_small.pt')


def _seeded(cfg, seed):
    cfg = dict(cfg)
    model = MODELS.build(dict(cfg, norm_eval=True, frozen_stages=-1))
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    model.load_state_dict(seeded_state(shapes, seed), strict=True)
    model.eval()
    return model


def _image(reference):
    gen = torch.Generator().manual_seed(reference['image_seed'])
    return torch.randn(*reference['image_shape'], generator=gen)


def test_stage_outputs_equal_mmdetections(reference):
    image = _image(reference)
    for name, (cfg, kept) in reference['backbones'].items():
        model = _seeded(cfg, reference['seed'])
        with torch.no_grad():
            outs = model(image)
        for stage in kept:
            theirs = reference['outputs'][name][stage]
            scale = theirs.abs().max().item()
            diff = (outs[stage] - theirs).abs().max().item()
            assert diff <= 1e-5 * scale, f'{name} stage {stage}: {diff} (scale {scale})'


def test_folded_norms_and_channels_last_match_the_plain_path(reference):
    image = _image(reference)
    for cfg, _ in reference['backbones'].values():
        plain = _seeded(cfg, reference['seed'])
        fast = copy.deepcopy(plain)
        assert fast.fold_norms() > 0
        fast = fast.to(memory_format=torch.channels_last)
        with torch.no_grad():
            for ours, theirs in zip(fast(image.to(memory_format=torch.channels_last)),
                                    plain(image)):
                assert (ours - theirs).abs().max() <= 1e-4 * theirs.abs().max()


def test_training_through_frozen_norms_reaches_the_deformable_weights(reference):
    cfg, _ = reference['backbones']['resnext50_g2_dcn_c3_c5']
    model = _seeded(cfg, reference['seed'])
    model.train()  # norm_eval: BatchNorms keep running statistics, folded on the fly
    plain = _seeded(cfg, reference['seed'])
    image = _image(reference)
    out = model(image)[-1]
    with torch.no_grad():
        expected = plain(image)[-1]
    assert (out - expected).abs().max() <= 1e-4 * expected.abs().max()
    out.square().mean().backward()
    conv2 = model.layer4[0].conv2
    assert isinstance(conv2, DeformConv2dPack)
    assert conv2.weight.grad.abs().sum() > 0 and conv2.conv_offset.weight.grad.abs().sum() > 0
    assert model.layer4[0].bn2.weight.grad.abs().sum() > 0


def test_x101_64x4d_dcn_mask_rcnn_has_mmdetections_weights(tmp_path):
    with gzip.open(fixture_path('mmdet_reference/x101_64x4d_dcn_mask_rcnn_shapes.json.gz'),
                   'rt', encoding='utf-8') as f:
        theirs = dict(json.load(f)['state'])
    cfg = Config.fromfile(str(REPO / 'configs/_base_/models/mask_rcnn_r50_fpn.py')).model
    cfg.backbone = dict(type='ResNeXt', depth=101, groups=64, base_width=4, num_stages=4,
                        out_indices=(0, 1, 2, 3), frozen_stages=1, style='pytorch',
                        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
                        stage_with_dcn=(False, True, True, True))
    model = MODELS.build(cfg)
    assert {k: list(v.shape) for k, v in model.state_dict().items()} == theirs
    # a checkpoint with exactly those names loads strictly
    state = seeded_state({k: tuple(v) for k, v in theirs.items()}, seed=1)
    torch.save({'state_dict': state}, tmp_path / 'x101_dcn.pth')
    load_checkpoint(model, str(tmp_path / 'x101_dcn.pth'))
    assert torch.equal(model.backbone.layer3[5].conv2.conv_offset.weight,
                       state['backbone.layer3.5.conv2.conv_offset.weight'])


@pytest.mark.parametrize('pack', [DeformConv2dPack, ModulatedDeformConv2dPack])
def test_zero_offsets_give_the_plain_conv_also_on_maps_smaller_than_the_kernel(pack):
    torch.manual_seed(0)
    conv = pack(8, 6, 3, padding=1, groups=2, deform_groups=2)
    for size in [(2, 2), (7, 5)]:
        x = torch.randn(1, 8, *size)
        expected = F.conv2d(x, conv.weight, conv.bias, padding=1, groups=2)
        scale = 0.5 if pack is ModulatedDeformConv2dPack else 1.0  # sigmoid(0) masks
        torch.testing.assert_close(conv(x), expected * scale + (
            conv.bias.view(1, -1, 1, 1) * (1 - scale) if conv.bias is not None else 0),
            atol=1e-5, rtol=1e-5)


def test_dcn_options_and_bad_inputs():
    dcn = dict(type='DCN', deform_groups=1, fallback_on_stride=True)
    plain = ResNet(depth=50, base_channels=8, dcn=dcn, stage_with_dcn=(False, True, True, True))
    assert not any(isinstance(m, DeformConv2dPack) for m in plain.modules())  # fallback
    with pytest.raises(ValueError, match='one flag per stage'):
        ResNet(depth=50, dcn=dict(type='DCN'), stage_with_dcn=(True, ))
    with pytest.raises(ValueError, match='DCN needs Bottleneck blocks'):
        ResNet(depth=18, dcn=dict(type='DCN'), stage_with_dcn=(False, True, True, True))
    with pytest.raises(KeyError, match='invalid depth 18 for ResNeXt'):
        ResNeXt(depth=18, groups=32)
    with pytest.raises(KeyError, match="dcn type 'DCNv9'"):
        ResNet(depth=50, dcn=dict(type='DCNv9'), stage_with_dcn=(False, True, True, True))
    with pytest.raises(ValueError, match='has no bias'):
        DeformConv2dPack(4, 4, 3, bias=True)


def test_default_init_starts_deformable_convs_as_plain_convs():
    model = ResNeXt(depth=50, groups=2, base_width=4, base_channels=8,
                    dcn=dict(type='DCNv2', deform_groups=1),
                    stage_with_dcn=(False, True, True, True))
    model.init_weights()
    offsets = [m.conv_offset for m in model.modules() if hasattr(m, 'conv_offset')]
    assert offsets and all(not o.weight.any() and not o.bias.any() for o in offsets)
