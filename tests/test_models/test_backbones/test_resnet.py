"""ResNet backbone: shapes, names, freezing, norms, checkpointing, torchvision init and
the mmdetection 3.3 numerical reference."""
import copy
from pathlib import Path

import pytest
import torch
import torchvision
from mmcv.cnn import build_norm_layer
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from mmdet.models.backbones import BasicBlock, Bottleneck, FrozenBatchNorm2d, ResNet
from mmdet.registry import MODELS


def randomize_bn_stats(model: nn.Module, seed: int = 0) -> None:
    """Give every BN non-trivial affine parameters and running statistics."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                n = m.num_features
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)


def small_resnet(**kwargs) -> ResNet:
    cfg = dict(depth=18, base_channels=8)
    cfg.update(kwargs)
    model = ResNet(**cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('depth,expansion', [(18, 1), (50, 4)])
def test_output_shapes(depth: int, expansion: int) -> None:
    model = ResNet(depth=depth, base_channels=16)
    model.init_weights()
    model.eval()
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 64, 96))
    assert len(feats) == 4
    for i, feat in enumerate(feats):
        stride = 4 * 2**i
        assert feat.shape == (1, 16 * 2**i * expansion, 64 // stride, 96 // stride)
    assert model.out_channels == [16 * 2**i * expansion for i in range(4)]
    assert model.feat_dim == 128 * expansion


@pytest.mark.parametrize('depth,block,blocks', [(18, BasicBlock, (2, 2, 2, 2)),
                                                (34, BasicBlock, (3, 4, 6, 3)),
                                                (50, Bottleneck, (3, 4, 6, 3)),
                                                (101, Bottleneck, (3, 4, 23, 3)),
                                                (152, Bottleneck, (3, 8, 36, 3))])
def test_architectures(depth: int, block: type, blocks: tuple) -> None:
    model = ResNet(depth=depth, base_channels=4)
    assert tuple(len(getattr(model, f'layer{i + 1}')) for i in range(4)) == blocks
    assert all(isinstance(b, block) for b in model.layer3)
    assert block.expansion == (1 if block is BasicBlock else 4)


def test_invalid_arguments() -> None:
    with pytest.raises(KeyError):
        ResNet(depth=20)
    with pytest.raises(AssertionError):
        ResNet(depth=18, out_indices=(4,))
    with pytest.raises(AssertionError):
        ResNet(depth=18, style='tensorflow')


@pytest.mark.parametrize('depth,arch', [(18, torchvision.models.resnet18),
                                        (50, torchvision.models.resnet50)])
def test_parameter_names_match_torchvision(depth: int, arch) -> None:
    ours = set(ResNet(depth=depth).state_dict())
    theirs = {k for k in arch().state_dict() if not k.startswith('fc.')}
    assert ours == theirs
    assert {'conv1.weight', 'bn1.running_var', 'layer1.0.conv1.weight', 'layer1.0.bn1.weight',
            'layer2.0.downsample.0.weight', 'layer2.0.downsample.1.num_batches_tracked'} <= ours
    if depth == 50:  # ResNet-50's first block changes width, hence has a downsample
        assert {'layer1.0.downsample.0.weight', 'layer4.2.bn3.bias'} <= ours


def test_caffe_vs_pytorch_style() -> None:
    pt = ResNet(depth=50, base_channels=8, style='pytorch')
    caffe = ResNet(depth=50, base_channels=8, style='caffe')
    for i in (2, 3, 4):
        assert getattr(pt, f'layer{i}')[0].conv1.stride == (1, 1)
        assert getattr(pt, f'layer{i}')[0].conv2.stride == (2, 2)
        assert getattr(caffe, f'layer{i}')[0].conv1.stride == (2, 2)
        assert getattr(caffe, f'layer{i}')[0].conv2.stride == (1, 1)
        assert getattr(caffe, f'layer{i}')[0].downsample[0].stride == (2, 2)
    # Same parameters, same shapes, different numbers.
    caffe.load_state_dict(pt.state_dict())
    pt.eval()
    caffe.eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        out_pt, out_caffe = pt(x), caffe(x)
    assert [o.shape for o in out_pt] == [o.shape for o in out_caffe]
    torch.testing.assert_close(out_pt[0], out_caffe[0])  # stage 1 has stride 1
    assert not torch.allclose(out_pt[1], out_caffe[1])


def test_out_indices_and_num_stages() -> None:
    model = small_resnet(out_indices=(1, 3)).eval()
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 64, 64))
    assert [f.shape for f in feats] == [(1, 16, 8, 8), (1, 64, 2, 2)]

    model = small_resnet(num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                         out_indices=(2,)).eval()
    assert not hasattr(model, 'layer4')
    with torch.no_grad():
        (feat,) = model(torch.randn(1, 3, 64, 64))
    assert feat.shape == (1, 32, 4, 4)


def test_dilation_keeps_resolution() -> None:
    model = small_resnet(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2)).eval()
    assert model.layer4[1].conv1.dilation == (2, 2)
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 64, 64))
    assert feats[3].shape == (1, 64, 4, 4)


def test_frozen_stages() -> None:
    model = small_resnet(frozen_stages=1, norm_eval=False)
    randomize_bn_stats(model)
    model.train()
    frozen = [model.conv1, model.bn1, model.layer1]
    for module in frozen:
        assert all(not p.requires_grad for p in module.parameters())
        assert all(not m.training for m in module.modules())
    assert all(p.requires_grad for p in model.layer2.parameters())
    assert model.layer2.training and model.layer2[0].bn1.training

    before = copy.deepcopy(model.state_dict())
    model(torch.randn(2, 3, 32, 32))
    after = model.state_dict()
    for key in ('bn1.running_mean', 'layer1.1.bn2.running_var'):
        assert torch.equal(before[key], after[key]), key
    assert not torch.equal(before['layer2.0.bn1.running_mean'],
                           after['layer2.0.bn1.running_mean'])


def test_frozen_stem_only() -> None:
    model = small_resnet(frozen_stages=0).train()
    assert not model.conv1.weight.requires_grad and not model.bn1.weight.requires_grad
    assert model.layer1[0].conv1.weight.requires_grad


def test_norm_eval() -> None:
    model = small_resnet(norm_eval=True)
    randomize_bn_stats(model)
    model.train()
    assert model.training
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert bns and all(not m.training for m in bns)
    # Learnable, but running statistics stay as they are.
    assert all(m.weight.requires_grad for m in bns)
    before = model.layer3[0].bn1.running_mean.clone()
    model(torch.randn(2, 3, 32, 32))
    assert torch.equal(before, model.layer3[0].bn1.running_mean)

    model = small_resnet(norm_eval=False).train()
    assert all(m.training for m in model.modules() if isinstance(m, _BatchNorm))


def test_group_norm() -> None:
    model = small_resnet(depth=50, norm_cfg=dict(type='GN', num_groups=4, requires_grad=True))
    names = set(model.state_dict())
    assert {'gn1.weight', 'layer1.0.gn3.weight', 'layer1.0.downsample.1.weight'} <= names
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    assert all(isinstance(m, nn.GroupNorm) for m in (model.norm1, model.layer2[0].norm2))
    # Zero-init of the last norm of each block works through the norm1/2/3 aliases.
    assert torch.all(model.layer2[1].gn3.weight == 0)
    assert torch.all(model.layer2[1].gn2.weight == 1)
    model.train()
    feats = model(torch.randn(1, 3, 32, 32))
    assert feats[-1].shape == (1, 256, 1, 1)


def test_frozen_bn_matches_bn_in_eval() -> None:
    bn_model = small_resnet()
    randomize_bn_stats(bn_model)
    frozen = ResNet(depth=18, base_channels=8, norm_cfg=dict(type='FrozenBN'), norm_eval=False)
    frozen.load_state_dict(bn_model.state_dict(), strict=True)
    assert isinstance(frozen.bn1, FrozenBatchNorm2d)
    assert not any('bn' in name for name, _ in frozen.named_parameters())
    frozen.train()  # fixed statistics whatever the mode
    assert frozen.layer2[0].bn1.training
    bn_model.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(frozen(x), bn_model(x)):
            assert torch.equal(a, b)
    torch.testing.assert_close(frozen.state_dict(), bn_model.state_dict(), rtol=0, atol=0)
    # mmcv's builder resolves the type in any scope.
    name, layer = build_norm_layer(dict(type='FrozenBN'), 4, postfix=2)
    assert name == 'bn2' and isinstance(layer, FrozenBatchNorm2d)


@pytest.mark.parametrize('depth', [18, 50])
def test_with_cp_same_outputs_and_grads(depth: int) -> None:
    torch.manual_seed(0)
    ref = small_resnet(depth=depth, norm_eval=False)
    randomize_bn_stats(ref)
    ckpt = ResNet(depth=depth, base_channels=8, norm_eval=False, with_cp=True)
    ckpt.load_state_dict(ref.state_dict())
    assert all(block.with_cp for block in ckpt.layer2)
    x = torch.randn(2, 3, 32, 32)
    outs = []
    for model in (ref, ckpt):
        model.train()
        feats = model(x)
        sum(f.square().mean() for f in feats).backward()
        outs.append((feats, {n: p.grad.clone() for n, p in model.named_parameters()}))
    for a, b in zip(outs[0][0], outs[1][0]):
        torch.testing.assert_close(a, b)
    for name, grad in outs[0][1].items():
        torch.testing.assert_close(grad, outs[1][1][name], msg=name)


@pytest.mark.parametrize('zero_init', [True, False])
def test_default_init(zero_init: bool) -> None:
    model = small_resnet(depth=50, zero_init_residual=zero_init)
    last, other = model.layer3[1].bn3.weight, model.layer3[1].bn2.weight
    assert torch.all(last == (0 if zero_init else 1))
    assert torch.all(other == 1) and torch.all(model.layer3[1].bn2.bias == 0)
    assert model.conv1.weight.std() > 0


def test_init_from_torchvision_state_dict(tmp_path: Path) -> None:
    torch.manual_seed(0)
    tv = torchvision.models.resnet18()
    randomize_bn_stats(tv, seed=1)
    path = tmp_path / 'resnet18.pth'
    torch.save(tv.state_dict(), path)
    torch.load(path, weights_only=True)  # what mmengine's loader does under torch >= 2.6

    model = MODELS.build(dict(type='ResNet', depth=18,
                              init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, tv.state_dict()[key]), key

    tv.eval()
    model.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        feats = model(x)
        y = tv.maxpool(tv.relu(tv.bn1(tv.conv1(x))))
        for i, feat in enumerate(feats):
            y = getattr(tv, f'layer{i + 1}')(y)
            # BN is folded into the convs: equal up to float rounding
            torch.testing.assert_close(feat, y, rtol=1e-4, atol=1e-4)


def test_reference_backbone_features(mmdet_reference) -> None:
    ref = mmdet_reference
    model = MODELS.build(dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                              out_indices=(0, 1, 2, 3), frozen_stages=1, style='pytorch',
                              norm_cfg=dict(type='BN', requires_grad=True), norm_eval=True))
    state = {k[len('backbone.'):]: v for k, v in ref['state_dict'].items()
             if k.startswith('backbone.')}
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        feats = model(ref['batch_inputs'])
    assert len(feats) == len(ref['backbone_feats']) == 4
    for ours, theirs in zip(feats, ref['backbone_feats']):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-3)


@pytest.mark.parametrize('depth,norm,expected', [(18, 'BN', 20), (50, 'FrozenBN', 53)])
def test_fold_norms_keeps_outputs(depth, norm, expected):
    from torch.nn.modules.batchnorm import _BatchNorm
    torch.manual_seed(0)
    model = ResNet(depth, base_channels=8, norm_cfg=dict(type=norm))
    model.init_weights()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, _BatchNorm):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.5)
    model.eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        before = model(x)
        assert model.fold_norms() == expected
        after = model(x)
    assert not any(isinstance(m, _BatchNorm) for m in model.modules())
    for a, b in zip(before, after):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('depth', [18, 50])
def test_training_with_folded_norms_matches_conv_then_bn(depth, monkeypatch):
    """With norm_eval the BNs are affine maps folded into the convs on the fly; outputs
    and the gradients of convs and norm weights are those of conv then BN."""
    import mmdet.models.backbones.resnet as resnet_module
    torch.manual_seed(0)
    model = small_resnet(depth=depth, norm_eval=True)
    randomize_bn_stats(model)
    x = torch.randn(2, 3, 32, 32)
    results = []
    for fold in (True, False):
        if not fold:
            monkeypatch.setattr(resnet_module, 'conv_then_norm',
                                lambda conv, norm, x: norm(conv(x)))
        model.zero_grad()
        model.train()
        feats = model(x)
        sum(f.square().mean() for f in feats).backward()
        results.append((feats, {n: p.grad.clone() for n, p in model.named_parameters()
                                if p.grad is not None}))
    (folded, folded_grads), (plain, plain_grads) = results
    for a, b in zip(folded, plain):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    assert folded_grads.keys() == plain_grads.keys() and any('bn' in k for k in plain_grads)
    for name, grad in plain_grads.items():
        scale = grad.abs().max().item()
        torch.testing.assert_close(folded_grads[name], grad, rtol=1e-3, atol=1e-4 * scale,
                                   msg=lambda m: f'{name}: {m}')
