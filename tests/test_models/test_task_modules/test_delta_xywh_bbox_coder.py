import math

import torch

from mmdet.models.task_modules import DeltaXYWHBBoxCoder
from mmdet.registry import TASK_UTILS


def _random_boxes(n, seed=0, size=100.):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * size
    wh = torch.rand(n, 2, generator=g) * size / 2 + 1
    return torch.cat([xy, xy + wh], dim=1)


def test_encode_hand_computed():
    p = torch.tensor([[0., 0., 10., 10.]])
    g = torch.tensor([[5., 5., 15., 25.]])
    torch.testing.assert_close(DeltaXYWHBBoxCoder().encode(p, g),
                               torch.tensor([[0.5, 1.0, 0.0, math.log(2.)]]))
    coder = DeltaXYWHBBoxCoder(target_means=(0.1, 0., 0., 0.), target_stds=(0.1, 0.1, 0.2, 0.2))
    torch.testing.assert_close(coder.encode(p, g),
                               torch.tensor([[4.0, 10.0, 0.0, math.log(2.) / 0.2]]))


def test_decode_hand_computed():
    p = torch.tensor([[0., 0., 10., 10.]])
    d = torch.tensor([[0.5, 1.0, 0.0, math.log(2.)]])
    torch.testing.assert_close(DeltaXYWHBBoxCoder().decode(p, d),
                               torch.tensor([[5., 5., 15., 25.]]))


def test_round_trip():
    coder = DeltaXYWHBBoxCoder(target_means=(0.01, -0.02, 0.03, 0.),
                               target_stds=(0.1, 0.1, 0.2, 0.2))
    priors, gts = _random_boxes(50, 0), _random_boxes(50, 1)
    deltas = coder.encode(priors, gts)
    assert deltas.shape == (50, 4)
    torch.testing.assert_close(coder.decode(priors, deltas), gts, atol=1e-4, rtol=1e-5)


def test_class_wise_decode():
    coder = DeltaXYWHBBoxCoder(target_stds=(0.1, 0.1, 0.2, 0.2))
    rois = _random_boxes(7)
    deltas = torch.randn(7, 12, generator=torch.Generator().manual_seed(2))
    out = coder.decode(rois, deltas, max_shape=(60, 80))
    assert out.shape == (7, 12)
    for c in range(3):
        assert torch.equal(out[:, 4 * c:4 * c + 4],
                           coder.decode(rois, deltas[:, 4 * c:4 * c + 4], max_shape=(60, 80)))
    # leading batch dimension
    batched = coder.decode(rois[None].expand(2, 7, 4), deltas[None].expand(2, 7, 12),
                           max_shape=(60, 80))
    assert torch.equal(batched[1], out)


def test_wh_clamp():
    coder = DeltaXYWHBBoxCoder()
    p = torch.tensor([[0., 0., 2., 2.]])
    out = coder.decode(p, torch.tensor([[0., 0., 10., -10.]]))
    w, h = out[0, 2] - out[0, 0], out[0, 3] - out[0, 1]
    max_ratio = abs(math.log(16 / 1000))
    torch.testing.assert_close(w, torch.tensor(2 * math.exp(max_ratio)))  # 2 * 62.5
    torch.testing.assert_close(h, torch.tensor(2 * math.exp(-max_ratio)))
    out = coder.decode(p, torch.tensor([[0., 0., 10., 10.]]), wh_ratio_clip=0.5)
    torch.testing.assert_close(out, torch.tensor([[-1., -1., 3., 3.]]))


def test_clipping():
    p = torch.tensor([[0., 0., 10., 10.], [40., 20., 60., 30.]])
    d = torch.tensor([[-1., -1., 0., 0.], [1., 1., 0., 0.]])
    unclipped = torch.tensor([[-10., -10., 0., 0.], [60., 30., 80., 40.]])
    coder = DeltaXYWHBBoxCoder()
    torch.testing.assert_close(coder.decode(p, d), unclipped)
    torch.testing.assert_close(coder.decode(p, d, max_shape=(35, 70)),
                               torch.tensor([[0., 0., 0., 0.], [60., 30., 70., 35.]]))
    torch.testing.assert_close(coder.decode(p, d, max_shape=torch.tensor([35, 70])),
                               torch.tensor([[0., 0., 0., 0.], [60., 30., 70., 35.]]))
    no_clip = DeltaXYWHBBoxCoder(clip_border=False)
    torch.testing.assert_close(no_clip.decode(p, d, max_shape=(35, 70)), unclipped)


def test_ctr_clamp():
    coder = DeltaXYWHBBoxCoder(add_ctr_clamp=True, ctr_clamp=4)
    p = torch.tensor([[0., 0., 10., 10.]])
    out = coder.decode(p, torch.tensor([[1., -1., -10., 0.]]))
    # centre shift clamped to +-4 px; dw only clamped from above
    torch.testing.assert_close((out[0, 0] + out[0, 2]) / 2, torch.tensor(9.))
    torch.testing.assert_close((out[0, 1] + out[0, 3]) / 2, torch.tensor(1.))
    torch.testing.assert_close(out[0, 2] - out[0, 0], torch.tensor(10 * math.exp(-10)))


def test_empty_and_registry():
    coder = TASK_UTILS.build(dict(type='DeltaXYWHBBoxCoder', target_stds=[0.1, 0.1, 0.2, 0.2]))
    assert coder.decode(torch.zeros(0, 4), torch.zeros(0, 32), max_shape=(10, 10)).shape == (0, 32)
    assert coder.encode(torch.zeros(0, 4), torch.zeros(0, 4)).shape == (0, 4)
