import pytest
import torch

from mmdet.models.losses import Accuracy, accuracy


def test_accuracy_topk():
    pred = torch.tensor([[0.1, 0.7, 0.2],
                         [0.6, 0.3, 0.1],
                         [0.2, 0.3, 0.5],
                         [0.4, 0.35, 0.25]])
    target = torch.tensor([1, 1, 2, 2])
    top1 = accuracy(pred, target)
    assert top1.shape == (1, ) and top1.item() == pytest.approx(50.)
    top1, top2, top3 = accuracy(pred, target, topk=(1, 2, 3))
    assert (top1.item(), top2.item(), top3.item()) == pytest.approx((50., 75., 100.))
    # only predictions scored above thresh count
    assert accuracy(pred, target, thresh=0.6).item() == pytest.approx(25.)
    assert Accuracy(topk=2)(pred, target).item() == pytest.approx(75.)
    with pytest.raises(ValueError):
        accuracy(pred, target, topk=4)


def test_accuracy_empty():
    assert accuracy(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long)).item() == 0
    res = accuracy(torch.zeros(0, 5), torch.zeros(0, dtype=torch.long), topk=(1, 2))
    assert [r.item() for r in res] == [0, 0]
