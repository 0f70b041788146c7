"""mmdetection v1 numerics (the "+1" box convention): LegacyAnchorGenerator and
LegacyDeltaXYWHBBoxCoder against v1's formulas written out by hand, on sizes, strides
and boxes other than the reference file's."""
import math

import pytest
import torch

from mmdet.models.task_modules import (DeltaXYWHBBoxCoder, LegacyAnchorGenerator,
                                       LegacyDeltaXYWHBBoxCoder)
from mmdet.registry import MODELS, TASK_UTILS


def _v1_base_anchors(base, scales, ratios):
    """v1: centre 0.5 * (base - 1); w = base * scale / sqrt(r); corners centre -+ (w - 1)/2,
    rounded; ratio-major order."""
    centre, out = 0.5 * (base - 1), []
    for r in ratios:
        for s in scales:
            w, h = base * s / math.sqrt(r), base * s * math.sqrt(r)
            out.append([round(centre - (w - 1) / 2), round(centre - (h - 1) / 2),
                        round(centre + (w - 1) / 2), round(centre + (h - 1) / 2)])
    return torch.tensor(out, dtype=torch.float32)


@pytest.mark.parametrize('strides, scales, ratios', [((4, 8, 16, 32, 64), [8], [0.5, 1., 2.]),
                                                     ((16, ), [2, 4, 8, 16, 32], [0.5, 1., 2.]),
                                                     ((8, 12), [3], [0.25, 1., 3.])])
def test_legacy_base_anchors_follow_v1(strides, scales, ratios):
    gen = LegacyAnchorGenerator(strides=list(strides), ratios=ratios, scales=scales,
                                center_offset=0.5)
    for stride, base in zip(strides, gen.base_anchors):
        torch.testing.assert_close(base, _v1_base_anchors(stride, scales, ratios))


def test_legacy_grid_shifts_by_stride_and_differs_from_v2():
    gen = TASK_UTILS.build(dict(type='LegacyAnchorGenerator', strides=[16], ratios=[1.],
                                scales=[8], center_offset=0.5))
    (anchors, ) = gen.grid_priors([(3, 5)])
    base = _v1_base_anchors(16, [8], [1.])[0]  # [-56, -56, 71, 71]
    torch.testing.assert_close(base, torch.tensor([-56., -56., 71., 71.]))
    torch.testing.assert_close(anchors[2 * 5 + 4], base + torch.tensor([64., 32., 64., 32.]))
    v2 = TASK_UTILS.build(dict(type='AnchorGenerator', strides=[16], ratios=[1.], scales=[8],
                               center_offset=0.5))
    assert not torch.equal(v2.grid_priors([(3, 5)])[0], anchors)


def _random_boxes(n, seed, size=100.):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * size
    return torch.cat([xy, xy + torch.rand(n, 2, generator=g) * size / 2 + 1], dim=1)


def test_legacy_coder_uses_plus_one_sizes():
    p = torch.tensor([[0., 0., 9., 9.]])  # 10 x 10 in v1
    g = torch.tensor([[5., 5., 14., 24.]])  # 10 x 20, centre (9.5, 14.5)
    coder = LegacyDeltaXYWHBBoxCoder()
    expected = torch.tensor([[0.5, 1.0, 0.0, math.log(2.)]])
    torch.testing.assert_close(coder.encode(p, g), expected)
    # decoded corners are centre -+ w / 2 (mmdetection's legacy form): w = 20 -> 4.5 .. 24.5
    torch.testing.assert_close(coder.decode(p, expected), torch.tensor([[4.5, 4.5, 14.5, 24.5]]))
    assert not torch.allclose(DeltaXYWHBBoxCoder().encode(p, g), expected)


def test_legacy_coder_round_trip_and_clipping_to_last_pixel():
    coder = LegacyDeltaXYWHBBoxCoder(target_stds=(0.1, 0.1, 0.2, 0.2))
    priors, gts = _random_boxes(40, 1), _random_boxes(40, 2)
    deltas = coder.encode(priors, gts)
    # v1 widths: encode(x2 - x1 + 1); decode gives centre -+ w / 2, i.e. 0.5 px wider each side
    decoded = coder.decode(priors, deltas)
    torch.testing.assert_close(decoded, gts + torch.tensor([-0.5, -0.5, 0.5, 0.5]),
                               atol=1e-4, rtol=1e-5)
    clipped = coder.decode(priors * 3, deltas, max_shape=(60, 80))
    assert clipped[:, 0::2].max() <= 79 and clipped[:, 1::2].max() <= 59
    assert clipped.min() >= 0 and (clipped[:, 0::2] == 79).any()


def test_box_head_clips_legacy_detections_to_the_last_pixel():
    head = MODELS.build(dict(type='Shared2FCBBoxHead', in_channels=4, fc_out_channels=8,
                             roi_feat_size=2, num_classes=3,
                             bbox_coder=dict(type='LegacyDeltaXYWHBBoxCoder',
                                             target_stds=[0.1, 0.1, 0.2, 0.2])))
    rois = torch.tensor([[0., 30., 20., 49., 39.], [1., 0., 0., 9., 9.]])
    deltas = torch.full((2, 12), 20.)  # far to the bottom right, and large
    boxes = head._decode(rois, deltas, [dict(img_shape=(40, 50)), dict(img_shape=(30, 20))])
    assert boxes[0, 0::2].max() == 49 and boxes[0, 1::2].max() == 39
    assert boxes[1, 0::2].max() == 19 and boxes[1, 1::2].max() == 29
