import math

import pytest
import torch

from mmdet.models.task_modules import AnchorGenerator
from mmdet.registry import TASK_UTILS


def _rpn_generator(strides=(4, )):
    return AnchorGenerator(strides=list(strides), ratios=[0.5, 1.0, 2.0], scales=[8])


def test_base_anchors_hand_computed():
    gen = _rpn_generator()
    w0, h0 = 32 / math.sqrt(0.5), 32 * math.sqrt(0.5)  # ratio 0.5 = h / w
    expected = torch.tensor([[-w0 / 2, -h0 / 2, w0 / 2, h0 / 2],
                             [-16., -16., 16., 16.],
                             [-h0 / 2, -w0 / 2, h0 / 2, w0 / 2]])
    assert gen.num_levels == 1
    assert gen.num_base_priors == [3]
    torch.testing.assert_close(gen.base_anchors[0], expected)
    # widths / heights as documented: w = base * s / sqrt(r), h = base * s * sqrt(r)
    wh = gen.base_anchors[0][:, 2:] - gen.base_anchors[0][:, :2]
    torch.testing.assert_close(wh[:, 1] / wh[:, 0], torch.tensor([0.5, 1.0, 2.0]))


def test_grid_priors_positions_and_order():
    gen = _rpn_generator()
    (anchors, ) = gen.grid_priors([(2, 3)])
    assert anchors.shape == (2 * 3 * 3, 4) and anchors.dtype == torch.float32
    # flat index = ((y * W) + x) * A + a; anchor (y=1, x=2, a=1) is the 32x32 box
    # centred at (x * 4, y * 4) = (8, 4)
    torch.testing.assert_close(anchors[((1 * 3) + 2) * 3 + 1],
                               torch.tensor([-8., -12., 24., 20.]))
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    ys, xs, a_ = torch.meshgrid(torch.arange(2), torch.arange(3), torch.arange(3),
                                indexing='ij')
    torch.testing.assert_close(centres[:, 0], (xs.reshape(-1) * 4).float())
    torch.testing.assert_close(centres[:, 1], (ys.reshape(-1) * 4).float())
    torch.testing.assert_close(anchors.view(6, 3, 4) - anchors.view(6, 3, 4)[:, :1].repeat(
        1, 3, 1), (gen.base_anchors[0] - gen.base_anchors[0][:1]).expand(6, 3, 4))


def test_multi_level_and_pair_strides():
    gen = AnchorGenerator(strides=[(4, 8), 16], ratios=[1.0], scales=[2])
    assert gen.base_sizes == [4, 16]
    lvl0, lvl1 = gen.grid_priors([(2, 2), (1, 1)], dtype=torch.float64)
    assert lvl0.dtype == torch.float64
    torch.testing.assert_close(lvl0, torch.tensor([[-4., -4., 4., 4.], [0., -4., 8., 4.],
                                                   [-4., 4., 4., 12.], [0., 4., 8., 12.]],
                                                  dtype=torch.float64))
    torch.testing.assert_close(lvl1, torch.tensor([[-16., -16., 16., 16.]],
                                                  dtype=torch.float64))


def test_octave_scales_scale_major_and_centers():
    gen = AnchorGenerator(strides=[8], ratios=[0.5, 2.0], octave_base_scale=4,
                          scales_per_octave=3)
    torch.testing.assert_close(gen.scales, torch.tensor([4., 4 * 2 ** (1 / 3), 4 * 2 ** (2 / 3)]))
    widths = gen.base_anchors[0][:, 2] - gen.base_anchors[0][:, 0]
    # ratio-major: [r0s0, r0s1, r0s2, r1s0, ...]
    expected = torch.tensor([8 * s / math.sqrt(r) for r in (0.5, 2.0) for s in gen.scales.tolist()])
    torch.testing.assert_close(widths, expected)
    gen_sm = AnchorGenerator(strides=[8], ratios=[0.5, 2.0], octave_base_scale=4,
                             scales_per_octave=3, scale_major=False)
    widths_sm = gen_sm.base_anchors[0][:, 2] - gen_sm.base_anchors[0][:, 0]
    expected_sm = torch.tensor([8 * s / math.sqrt(r) for s in gen.scales.tolist()
                                for r in (0.5, 2.0)])
    torch.testing.assert_close(widths_sm, expected_sm)

    offset = AnchorGenerator(strides=[8], ratios=[1.0], scales=[1], center_offset=0.5)
    torch.testing.assert_close(offset.base_anchors[0], torch.tensor([[0., 0., 8., 8.]]))
    centred = AnchorGenerator(strides=[8], ratios=[1.0], scales=[1], centers=[(1., 2.)])
    torch.testing.assert_close(centred.base_anchors[0], torch.tensor([[-3., -2., 5., 6.]]))
    with pytest.raises(ValueError):
        AnchorGenerator(strides=[8], ratios=[1.0], scales=[1], octave_base_scale=4,
                        scales_per_octave=3)


def test_valid_flags():
    gen = AnchorGenerator(strides=[4, 8], ratios=[0.5, 1.0, 2.0], scales=[8])
    flags0, flags1 = gen.valid_flags([(4, 5), (2, 3)], pad_shape=(10, 13))
    assert flags0.dtype == torch.bool and flags0.shape == (4 * 5 * 3, )
    # level 0: valid_h = ceil(10/4) = 3, valid_w = ceil(13/4) = 4
    cell = flags0.view(4, 5, 3)
    assert (cell[:, :, 0] == cell[:, :, 1]).all() and (cell[:, :, 0] == cell[:, :, 2]).all()
    expected = torch.zeros(4, 5, dtype=torch.bool)
    expected[:3, :4] = True
    assert torch.equal(cell[:, :, 0], expected)
    # level 1: ceil(10/8) = 2, ceil(13/8) = 2 (capped by the feature size)
    expected1 = torch.zeros(2, 3, dtype=torch.bool)
    expected1[:2, :2] = True
    assert torch.equal(flags1.view(2, 3, 3)[:, :, 0], expected1)
    # whole map valid when the image fills it
    assert all(f.all() for f in gen.valid_flags([(4, 5), (2, 3)], pad_shape=(16, 20, 3)))


def test_sparse_priors_match_grid():
    gen = _rpn_generator(strides=(4, 8))
    grid = gen.grid_priors([(3, 5), (2, 2)])
    idx = torch.tensor([0, 7, 20, 44])
    torch.testing.assert_close(gen.sparse_priors(idx, (3, 5), 0), grid[0][idx])


def test_registry_build():
    gen = TASK_UTILS.build(dict(type='AnchorGenerator', strides=[4, 8, 16, 32, 64],
                                ratios=[0.5, 1.0, 2.0], scales=[8]))
    assert gen.num_levels == 5 and gen.num_base_priors == [3] * 5
