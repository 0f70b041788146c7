"""The fused end of a residual block equals conv, add and ReLU done one by one."""
import pytest
import torch
from torch import nn

import mmdet.models.backbones.resnet as resnet_module
from mmdet.models.backbones import ResNet
from mmdet.models.layers.fused_conv import conv_add_relu

CL = torch.channels_last


def _random_bn(model, gen):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.normal_(1, 0.2, generator=gen)
                m.bias.normal_(0, 0.2, generator=gen)


@pytest.mark.parametrize('seed,kernel,stride,groups', [
    (0, 1, 1, 1), (1, 3, 1, 1), (2, 3, 2, 1), (3, 1, 2, 1), (4, 3, 1, 4)])
def test_equals_conv_add_relu_one_by_one(seed, kernel, stride, groups):
    gen = torch.Generator().manual_seed(seed)
    conv = nn.Conv2d(16, 32, kernel, stride=stride, padding=kernel // 2, groups=groups)
    with torch.no_grad():
        conv.weight.normal_(0, 0.1, generator=gen)
        conv.bias.normal_(0, 0.1, generator=gen)
    conv = conv.to(memory_format=CL)
    x = torch.randn(2, 16, 23, 31, generator=gen).contiguous(memory_format=CL)
    with torch.no_grad():
        size = conv(x).shape
        identity = torch.randn(size, generator=gen).contiguous(memory_format=CL)
        fused = conv_add_relu(conv, x, identity)
        expected = torch.relu(conv(x) + identity)
    assert fused is not None and torch.equal(fused, expected)
    assert fused.is_contiguous(memory_format=CL) and (fused == 0).any()


def test_declines_where_it_does_not_apply():
    conv = nn.Conv2d(4, 4, 1).to(memory_format=CL)
    x = torch.randn(1, 4, 5, 5).contiguous(memory_format=CL)
    assert conv_add_relu(conv, x, x) is None  # autograd on
    with torch.no_grad():
        assert conv_add_relu(conv, x.contiguous(), x) is None  # NCHW
        assert conv_add_relu(conv, x, x.contiguous()) is None
        assert conv_add_relu(conv.double(), x.double(), x.double()) is None
        assert conv_add_relu(nn.Conv2d(4, 4, 3, padding='same'), x, x) is None
        assert conv_add_relu(nn.Conv2d(4, 4, 1, padding_mode='reflect'), x, x) is None


def _fused_and_plain(module, name, run, monkeypatch):
    """``run()``'s outputs with ``module.name`` (a fused call) in use and with it
    declining, and whether each fused call took place."""
    fused_call = getattr(module, name)
    calls = []

    def counted(*args):
        out = fused_call(*args)
        calls.append(out is not None)
        return out
    monkeypatch.setattr(module, name, counted)
    with torch.inference_mode():
        fused = run()
        monkeypatch.setattr(module, name, lambda *args: None)
        plain = run()
    return fused, plain, calls


@pytest.mark.parametrize('depth', [18, 50])
def test_folded_channels_last_backbone_equals_the_unfused_one(depth, monkeypatch):
    gen = torch.Generator().manual_seed(depth)
    torch.manual_seed(depth)
    model = ResNet(depth=depth, base_channels=8)
    _random_bn(model, gen)
    model.eval()
    model.fold_norms()
    model.to(memory_format=CL)
    x = torch.randn(2, 3, 64, 96, generator=gen).contiguous(memory_format=CL)
    fused, plain, calls = _fused_and_plain(resnet_module, 'conv_add_relu', lambda: model(x),
                                           monkeypatch)
    blocks = sum(len(getattr(model, name)) for name in model.res_layers)
    assert calls == [True] * blocks
    for a, b in zip(fused, plain):
        assert torch.equal(a, b)


def test_fpn_laterals_fused_at_inference_equal_the_unfused_ones(monkeypatch):
    import mmdet.models.necks.fpn as fpn_module
    from mmdet.models.necks import FPN
    torch.manual_seed(11)
    neck = FPN(in_channels=[8, 16, 32, 64], out_channels=8, num_outs=5).eval()
    neck.to(memory_format=CL)
    gen = torch.Generator().manual_seed(11)
    inputs = [torch.randn(2, c, 32 // 2 ** i, 48 // 2 ** i, generator=gen)
              .contiguous(memory_format=CL) for i, c in enumerate([8, 16, 32, 64])]
    fused, plain, calls = _fused_and_plain(fpn_module, 'conv_add', lambda: neck(inputs),
                                           monkeypatch)
    assert calls == [True] * 3
    for a, b in zip(fused, plain):
        assert torch.equal(a, b)
    training = neck.train()(inputs)  # autograd on: the plain path, the same numbers
    for a, b in zip(training, plain):
        assert torch.allclose(a, b, atol=1e-6)
