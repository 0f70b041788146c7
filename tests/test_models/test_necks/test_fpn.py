"""FPN neck: shapes, extra levels, the top-down computation, init and the mmdetection 3.3
numerical reference (alone and after the ResNet backbone)."""
import math
from typing import List, Tuple

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from mmdet.models.necks import FPN
from mmdet.registry import MODELS

IN_CHANNELS = [8, 16, 32, 64]


def pyramid(sizes: List[Tuple[int, int]], channels: List[int] = IN_CHANNELS) -> List[Tensor]:
    torch.manual_seed(0)
    return [torch.randn(2, c, h, w) for c, (h, w) in zip(channels, sizes)]


def build(**kwargs) -> FPN:
    cfg = dict(in_channels=IN_CHANNELS, out_channels=8, num_outs=5)
    cfg.update(kwargs)
    neck = FPN(**cfg)
    neck.init_weights()
    return neck.eval()


# Sizes of a ResNet on a 100x76 input: odd sizes, so the coarser maps are not exactly 2x.
ODD_SIZES = [(25, 19), (13, 10), (7, 5), (4, 3)]


def test_default_shapes_names_and_maxpool_level() -> None:
    neck = build()
    assert len(neck.lateral_convs) == len(neck.fpn_convs) == 4  # no extra convs
    names = set(neck.state_dict())
    assert {'lateral_convs.0.conv.weight', 'lateral_convs.3.conv.bias',
            'fpn_convs.0.conv.weight', 'fpn_convs.3.conv.bias'} <= names
    assert not any('norm' in n or 'bn' in n for n in names)
    with torch.no_grad():
        outs = neck(pyramid(ODD_SIZES))
    assert [o.shape[2:] for o in outs] == [(25, 19), (13, 10), (7, 5), (4, 3), (2, 2)]
    assert all(o.shape[:2] == (2, 8) for o in outs)
    assert torch.equal(outs[4], outs[3][:, :, ::2, ::2])  # max_pool2d(kernel 1, stride 2)


def manual_fpn(neck: FPN, inputs: List[Tensor]) -> List[Tensor]:
    """The top-down pathway written out with the FPN's own weights."""
    lat = [F.conv2d(x, m.conv.weight, m.conv.bias) for x, m in zip(inputs, neck.lateral_convs)]
    for i in range(len(lat) - 1, 0, -1):
        lat[i - 1] = lat[i - 1] + F.interpolate(lat[i], size=lat[i - 1].shape[2:],
                                                mode='nearest')
    return [F.conv2d(x, m.conv.weight, m.conv.bias, padding=1)
            for x, m in zip(lat, neck.fpn_convs)]


def test_top_down_matches_manual_computation() -> None:
    neck = build(num_outs=4)
    inputs = pyramid(ODD_SIZES)
    with torch.no_grad():
        outs, expected = neck(inputs), manual_fpn(neck, inputs)
    assert len(outs) == 4
    for a, b in zip(outs, expected):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize('mode', ['on_input', 'on_lateral', 'on_output', True])
def test_extra_convs(mode) -> None:
    neck = build(add_extra_convs=mode, num_outs=6)
    assert neck.add_extra_convs == ('on_input' if mode is True else mode)
    assert len(neck.fpn_convs) == 6
    first_in = IN_CHANNELS[-1] if neck.add_extra_convs == 'on_input' else 8
    assert neck.fpn_convs[4].conv.in_channels == first_in
    assert neck.fpn_convs[4].conv.stride == (2, 2)
    inputs = pyramid(ODD_SIZES)
    with torch.no_grad():
        outs = neck(inputs)
        lat3 = neck.lateral_convs[3](inputs[3])
        source = {'on_input': inputs[3], 'on_lateral': lat3, 'on_output': outs[3]}
        expected_p6 = neck.fpn_convs[4](source[neck.add_extra_convs])
    assert [o.shape[2:] for o in outs][4:] == [(2, 2), (1, 1)]
    torch.testing.assert_close(outs[4], expected_p6, rtol=0, atol=1e-6)
    torch.testing.assert_close(outs[5], neck.fpn_convs[5](outs[4]), rtol=0, atol=1e-6)


def test_relu_before_extra_convs() -> None:
    neck = build(add_extra_convs='on_output', num_outs=6, relu_before_extra_convs=True)
    with torch.no_grad():
        outs = neck(pyramid(ODD_SIZES))
        torch.testing.assert_close(outs[5], neck.fpn_convs[5](F.relu(outs[4])),
                                   rtol=0, atol=1e-6)
        assert not torch.allclose(outs[5], neck.fpn_convs[5](outs[4]))


def test_start_and_end_level() -> None:
    neck = build(start_level=1, add_extra_convs='on_input', num_outs=5)
    assert len(neck.lateral_convs) == 3 and len(neck.fpn_convs) == 5
    with torch.no_grad():
        outs = neck(pyramid(ODD_SIZES))
    assert [o.shape[2:] for o in outs] == [(13, 10), (7, 5), (4, 3), (2, 2), (1, 1)]

    neck = build(start_level=0, end_level=2, num_outs=3)
    assert len(neck.lateral_convs) == 3
    with torch.no_grad():
        outs = neck(pyramid(ODD_SIZES))
    assert [o.shape[2:] for o in outs] == [(25, 19), (13, 10), (7, 5)]
    with pytest.raises(AssertionError):  # no extra levels when end_level is not the last
        build(end_level=2, num_outs=4)
    with pytest.raises(AssertionError):
        build(num_outs=3)  # fewer outputs than used levels
    with pytest.raises(AssertionError):
        build(add_extra_convs='on_top')


def test_norm_and_scale_factor_upsampling() -> None:
    neck = build(norm_cfg=dict(type='BN'), no_norm_on_lateral=True,
                 upsample_cfg=dict(scale_factor=2, mode='nearest'))
    assert neck.fpn_convs[0].with_norm and neck.fpn_convs[0].conv.bias is None
    assert not neck.lateral_convs[0].with_norm and neck.lateral_convs[0].conv.bias is not None
    with torch.no_grad():
        outs = neck(pyramid([(32, 32), (16, 16), (8, 8), (4, 4)]))
    assert [o.shape[2] for o in outs] == [32, 16, 8, 4, 2]


def test_xavier_uniform_init() -> None:
    neck = build()
    for conv in [m.conv for m in (*neck.lateral_convs, *neck.fpn_convs)]:
        fan_in = conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1]
        fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
        assert conv.weight.abs().max() <= math.sqrt(6 / (fan_in + fan_out))
        assert torch.all(conv.bias == 0)


def test_reference_neck_features(mmdet_reference) -> None:
    ref = mmdet_reference
    neck = MODELS.build(dict(type='FPN', in_channels=[16, 32, 64, 128], out_channels=32,
                             num_outs=5))
    state = {k[len('neck.'):]: v for k, v in ref['state_dict'].items() if k.startswith('neck.')}
    neck.load_state_dict(state, strict=True)
    neck.eval()
    with torch.no_grad():
        outs = neck(list(ref['backbone_feats']))
    assert len(outs) == len(ref['neck_feats']) == 5
    for ours, theirs in zip(outs, ref['neck_feats']):
        assert ours.shape == theirs.shape
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-3)


def test_reference_backbone_and_neck(mmdet_reference) -> None:
    """ResNet-18 (base 16) + FPN from the stored config, on the stored batch."""
    ref = mmdet_reference
    backbone = MODELS.build(dict(type='ResNet', depth=18, base_channels=16, num_stages=4,
                                 out_indices=(0, 1, 2, 3), frozen_stages=1, style='pytorch',
                                 norm_cfg=dict(type='BN', requires_grad=True),
                                 norm_eval=True, init_cfg=None))
    neck = MODELS.build(dict(type='FPN', in_channels=[16, 32, 64, 128], out_channels=32,
                             num_outs=5))
    for prefix, module in (('backbone.', backbone), ('neck.', neck)):
        state = {k[len(prefix):]: v for k, v in ref['state_dict'].items()
                 if k.startswith(prefix)}
        result = module.load_state_dict(state, strict=True)
        assert not result.missing_keys and not result.unexpected_keys
        module.eval()
    with torch.no_grad():
        outs = neck(backbone(ref['batch_inputs']))
    for ours, theirs in zip(outs, ref['neck_feats']):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-3)
