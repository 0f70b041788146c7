import math

import pytest
import torch
import torch.nn.functional as F

from mmdet.models.losses import (CrossEntropyLoss, L1Loss, SmoothL1Loss, weight_reduce_loss)
from mmdet.registry import MODELS

EPS = torch.finfo(torch.float32).eps


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ----------------------------------------------------------------- reduction helper
def test_weight_reduce_loss():
    loss = torch.tensor([1., 2., 3., 4.])
    w = torch.tensor([1., 0., 2., 1.])
    assert weight_reduce_loss(loss, w).item() == pytest.approx(11 / 4)
    assert weight_reduce_loss(loss, w, reduction='sum').item() == pytest.approx(11)
    assert torch.equal(weight_reduce_loss(loss, w, reduction='none'), loss * w)
    assert weight_reduce_loss(loss, w, avg_factor=2).item() == pytest.approx(11 / (2 + EPS))
    with pytest.raises(ValueError):
        weight_reduce_loss(loss, w, reduction='sum', avg_factor=2)
    empty = torch.zeros(0, requires_grad=True)
    out = weight_reduce_loss(empty * 2)
    assert out.item() == 0 and out.requires_grad


# ------------------------------------------------------------------ softmax CE
def test_softmax_ce_matches_functional():
    pred = torch.randn(6, 5, generator=_gen())
    label = torch.tensor([0, 4, 2, 2, 1, 3])
    ce = CrossEntropyLoss()
    torch.testing.assert_close(ce(pred, label), F.cross_entropy(pred, label))
    elem = F.cross_entropy(pred, label, reduction='none')
    w = torch.tensor([1., 0., 2., 1., 1., 0.5])
    torch.testing.assert_close(ce(pred, label, w), (elem * w).mean())
    torch.testing.assert_close(ce(pred, label, w, avg_factor=3.), (elem * w).sum() / (3 + EPS))
    torch.testing.assert_close(ce(pred, label, reduction_override='sum'), elem.sum())
    torch.testing.assert_close(ce(pred, label, reduction_override='none'), elem)
    torch.testing.assert_close(CrossEntropyLoss(loss_weight=0.5)(pred, label), 0.5 * elem.mean())
    cw = [1., 2., 3., 4., 5.]
    torch.testing.assert_close(
        CrossEntropyLoss(class_weight=cw)(pred, label),
        F.cross_entropy(pred, label, weight=torch.tensor(cw), reduction='none').mean())


def test_softmax_ce_ignore_index():
    pred = torch.randn(4, 3, generator=_gen(1))
    label = torch.tensor([0, 255, 2, 255])
    elem = F.cross_entropy(pred, label, reduction='none', ignore_index=255)
    with pytest.warns(UserWarning):
        plain = CrossEntropyLoss(ignore_index=255)
    torch.testing.assert_close(plain(pred, label), elem.sum() / 4)
    avg = CrossEntropyLoss(ignore_index=255, avg_non_ignore=True)
    torch.testing.assert_close(avg(pred, label), elem.sum() / (2 + EPS))
    torch.testing.assert_close(avg(pred, label), F.cross_entropy(pred, label, ignore_index=255))


def test_softmax_ce_empty_is_zero_with_grad():
    pred = torch.zeros(0, 9, requires_grad=True)
    loss = CrossEntropyLoss()(pred, torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0 and not torch.isnan(loss)
    loss.backward()
    assert pred.grad.shape == (0, 9)
    loss = CrossEntropyLoss()(pred, torch.zeros(0, dtype=torch.long), torch.zeros(0), avg_factor=0)
    assert loss.item() == 0


# ------------------------------------------------------------------ sigmoid BCE
def test_sigmoid_ce_same_shape_targets():
    pred = torch.randn(5, 3, generator=_gen(2))
    target = torch.rand(5, 3, generator=_gen(3))
    bce = CrossEntropyLoss(use_sigmoid=True)
    torch.testing.assert_close(bce(pred, target), F.binary_cross_entropy_with_logits(pred, target))
    w = torch.rand(5, 3, generator=_gen(4))
    elem = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    torch.testing.assert_close(bce(pred, target, w, avg_factor=7), (elem * w).sum() / (7 + EPS))
    # rpn style: (N, 1) scores vs float (N, 1) targets
    torch.testing.assert_close(bce(pred[:, :1], target[:, :1]),
                               F.binary_cross_entropy_with_logits(pred[:, :1], target[:, :1]))


def test_sigmoid_ce_int_labels_expand_to_one_hot():
    pred = torch.randn(4, 3, generator=_gen(5))
    label = torch.tensor([0, 2, 3, 1])  # 3 = background: an all-zero row
    onehot = torch.tensor([[1., 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]])
    elem = F.binary_cross_entropy_with_logits(pred, onehot, reduction='none')
    bce = CrossEntropyLoss(use_sigmoid=True)
    torch.testing.assert_close(bce(pred, label), elem.mean())
    w = torch.tensor([1., 0., 2., 1.])  # per-sample weights broadcast over classes
    torch.testing.assert_close(bce(pred, label, w, avg_factor=4),
                               (elem * w[:, None]).sum() / (4 + EPS))
    # RPN: one foreground channel, labels 0 = object, 1 = background
    rpn_pred = pred[:, :1]
    rpn_label = torch.tensor([0, 1, 1, 0])
    torch.testing.assert_close(bce(rpn_pred, rpn_label),
                               F.binary_cross_entropy_with_logits(
                                   rpn_pred, torch.tensor([[1.], [0.], [0.], [1.]])))


# -------------------------------------------------------------------- mask CE
def test_mask_ce_picks_label_channel():
    pred = torch.randn(3, 4, 5, 5, generator=_gen(6))
    target = (torch.rand(3, 5, 5, generator=_gen(7)) > 0.5).float()
    label = torch.tensor([2, 0, 3])
    loss = CrossEntropyLoss(use_mask=True)(pred, target, label)
    picked = torch.stack([pred[0, 2], pred[1, 0], pred[2, 3]])
    assert loss.shape == (1, )
    torch.testing.assert_close(loss[0], F.binary_cross_entropy_with_logits(picked, target))
    # a different channel must change the value
    other = CrossEntropyLoss(use_mask=True)(pred, target, torch.tensor([1, 0, 3]))
    assert not torch.allclose(loss, other)
    torch.testing.assert_close(CrossEntropyLoss(use_mask=True, loss_weight=2.)(pred, target, label),
                               2 * loss)


def test_mask_ce_class_agnostic_and_empty():
    pred = torch.randn(3, 1, 5, 5, generator=_gen(8))
    target = (torch.rand(3, 5, 5, generator=_gen(9)) > 0.5).float()
    ce = CrossEntropyLoss(use_mask=True)
    expected = F.binary_cross_entropy_with_logits(pred[:, 0], target)
    torch.testing.assert_close(ce(pred, target, torch.tensor([5, 1, 0]))[0], expected)
    torch.testing.assert_close(ce(pred, target, torch.zeros(3, dtype=torch.long))[0], expected)
    empty = torch.zeros(0, 8, 28, 28, requires_grad=True)
    loss = ce(empty, torch.zeros(0, 28, 28), torch.zeros(0, dtype=torch.long))
    assert loss.item() == 0 and not torch.isnan(loss).any()
    loss.sum().backward()
    assert empty.grad is not None


# ------------------------------------------------------------- L1 / smooth L1
def test_l1_loss():
    pred = torch.tensor([[0., 1., 2., 3.], [1., 1., 1., 1.]])
    target = torch.tensor([[1., 1., 0., 3.], [1., 3., 1., 0.5]])
    l1 = L1Loss()
    assert l1(pred, target).item() == pytest.approx((1 + 2 + 2 + 0.5) / 8)
    w = torch.tensor([[1., 1., 1., 1.], [0., 0., 0., 0.]])
    assert l1(pred, target, w, avg_factor=2).item() == pytest.approx(3 / (2 + EPS))
    assert l1(pred, target, reduction_override='sum').item() == pytest.approx(5.5)
    loss = L1Loss(loss_weight=3.)(pred, target, reduction_override='sum')
    assert loss.item() == pytest.approx(16.5)


def test_smooth_l1_loss():
    pred = torch.tensor([0., 0., 0., 0.])
    target = torch.tensor([0.5, -2., 0.1, 3.])
    # beta = 1: 0.5 d^2 below 1, d - 0.5 above
    expected = torch.tensor([0.125, 1.5, 0.005, 2.5])
    torch.testing.assert_close(SmoothL1Loss(reduction='none')(pred, target), expected)
    torch.testing.assert_close(SmoothL1Loss()(pred, target), expected.mean())
    # beta = 2: 0.5 d^2 / 2 below 2, d - 1 above
    expected2 = torch.tensor([0.0625, 1.0, 0.0025, 2.0])
    torch.testing.assert_close(SmoothL1Loss(beta=2.0, reduction='none')(pred, target), expected2)
    torch.testing.assert_close(
        SmoothL1Loss(beta=0.5)(pred, target),
        F.smooth_l1_loss(pred, target, beta=0.5))


@pytest.mark.parametrize('cls', [L1Loss, SmoothL1Loss])
def test_regression_zero_weight_and_empty(cls):
    pred = torch.randn(3, 4, generator=_gen(10), requires_grad=True)
    loss = cls()(pred, torch.randn(3, 4, generator=_gen(11)), torch.zeros(3, 4), avg_factor=0)
    assert loss.item() == 0
    loss.backward()
    assert pred.grad is not None
    empty = torch.zeros(0, 4, requires_grad=True)
    for weight in (None, torch.zeros(0, 4)):
        loss = cls()(empty, torch.zeros(0, 4), weight)
        assert loss.item() == 0 and not torch.isnan(loss)
        loss.backward()
    loss = cls()(empty, torch.zeros(0, 4), torch.zeros(0, 4), avg_factor=1.0)
    assert loss.item() == 0


def test_registry_build():
    assert isinstance(MODELS.build(dict(type='CrossEntropyLoss', use_sigmoid=True)),
                      CrossEntropyLoss)
    assert isinstance(MODELS.build(dict(type='L1Loss', loss_weight=1.0)), L1Loss)
    assert isinstance(MODELS.build(dict(type='SmoothL1Loss', beta=1 / 9)), SmoothL1Loss)
    with pytest.raises(ValueError):
        CrossEntropyLoss(use_sigmoid=True, use_mask=True)
    assert math.isclose(MODELS.build(dict(type='SmoothL1Loss', beta=1 / 9)).beta, 1 / 9)
