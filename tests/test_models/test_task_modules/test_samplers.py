import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.models.task_modules import (AssignResult, MaxIoUAssigner, PseudoSampler,
                                       RandomSampler, SamplingResult)
from mmdet.registry import TASK_UTILS

T = torch.tensor


def _assign_result(num_pos=10, num_neg=100, num_ign=5, num_gts=3):
    """gt_inds laid out as [pos..., neg..., ignored...] with positives spread over gts."""
    gt_inds = torch.cat([torch.arange(num_pos) % num_gts + 1,
                         torch.zeros(num_neg, dtype=torch.long),
                         torch.full((num_ign, ), -1, dtype=torch.long)])
    labels = torch.where(gt_inds > 0, (gt_inds - 1) * 10, torch.full_like(gt_inds, -1))
    return AssignResult(num_gts, gt_inds, torch.linspace(0, 1, len(gt_inds)), labels)


def _priors(n):
    xy = torch.arange(n, dtype=torch.float32)[:, None].repeat(1, 2)
    return torch.cat([xy, xy + 5], dim=1)


GTS = T([[0., 0., 5., 5.], [10., 10., 20., 20.], [30., 30., 40., 40.]])
GT_LABELS = T([0, 10, 20])


def test_counts_without_gt_proposals():
    sampler = RandomSampler(num=32, pos_fraction=0.25, add_gt_as_proposals=False)
    res = sampler.sample(_assign_result(), _priors(115), GTS, GT_LABELS)
    assert isinstance(res, SamplingResult)
    assert res.pos_inds.numel() == 8 and res.neg_inds.numel() == 24
    assert (res.pos_inds < 10).all() and ((res.neg_inds >= 10) & (res.neg_inds < 110)).all()
    assert torch.equal(res.pos_inds, res.pos_inds.sort().values)
    assert res.num_gts == 3 and res.pos_is_gt.sum() == 0 and res.pos_is_gt.dtype == torch.uint8
    assert torch.equal(res.pos_priors, _priors(115)[res.pos_inds])
    assert torch.equal(res.neg_priors, _priors(115)[res.neg_inds])
    assert torch.equal(res.pos_gt_inds, res.pos_inds % 3)
    assert torch.equal(res.pos_assigned_gt_inds, res.pos_gt_inds)
    assert torch.equal(res.pos_gt_bboxes, GTS[res.pos_gt_inds])
    assert torch.equal(res.pos_gt_labels, GT_LABELS[res.pos_gt_inds])
    assert torch.equal(res.priors, torch.cat([res.pos_priors, res.neg_priors]))
    assert torch.equal(res.bboxes, res.priors)
    assert res.avg_factor == 32


def test_few_positives_filled_with_negatives():
    sampler = RandomSampler(num=32, pos_fraction=0.5, add_gt_as_proposals=False)
    res = sampler.sample(_assign_result(num_pos=4), _priors(109), GTS, GT_LABELS)
    assert res.pos_inds.tolist() == [0, 1, 2, 3] and res.neg_inds.numel() == 28


def test_add_gt_as_proposals():
    sampler = RandomSampler(num=16, pos_fraction=0.5)
    assign = _assign_result(num_pos=2, num_neg=30, num_ign=0)
    priors = _priors(32)
    res = sampler.sample(assign, priors, GTS, GT_LABELS)
    assert assign.num_preds == 35 and assign.gt_inds[:3].tolist() == [1, 2, 3]
    assert res.pos_inds.tolist() == [0, 1, 2, 3, 4]  # 3 gts + 2 positives
    assert res.pos_is_gt.tolist() == [1, 1, 1, 0, 0]
    assert torch.equal(res.pos_priors[:3], GTS)
    assert torch.equal(res.pos_priors[3:], priors[:2])
    assert res.pos_gt_inds.tolist() == [0, 1, 2, 0, 1]
    assert res.pos_gt_labels.tolist() == [0, 10, 20, 0, 10]
    assert res.neg_inds.numel() == 11 and (res.neg_inds >= 5).all()
    with pytest.raises(ValueError):
        sampler.sample(_assign_result(), _priors(115), GTS)  # labels needed


def test_neg_pos_ub():
    sampler = RandomSampler(num=64, pos_fraction=0.25, neg_pos_ub=1, add_gt_as_proposals=False)
    res = sampler.sample(_assign_result(num_pos=3), _priors(108), GTS, GT_LABELS)
    assert res.pos_inds.numel() == 3 and res.neg_inds.numel() == 3
    res = sampler.sample(_assign_result(num_pos=0), _priors(105), GTS, GT_LABELS)
    assert res.pos_inds.numel() == 0 and res.neg_inds.numel() == 1  # int(1 * max(1, 0))
    sampler = RandomSampler(num=64, pos_fraction=0.25, neg_pos_ub=2.5, add_gt_as_proposals=False)
    res = sampler.sample(_assign_result(num_pos=3), _priors(108), GTS, GT_LABELS)
    assert res.neg_inds.numel() == 7


def test_random_stream_and_determinism():
    sampler = RandomSampler(num=32, pos_fraction=0.25, add_gt_as_proposals=False)
    torch.manual_seed(7)
    a = sampler.sample(_assign_result(), _priors(115), GTS, GT_LABELS)
    torch.manual_seed(7)
    b = sampler.sample(_assign_result(), _priors(115), GTS, GT_LABELS)
    assert torch.equal(a.pos_inds, b.pos_inds) and torch.equal(a.neg_inds, b.neg_inds)
    # one randperm for positives, then one for negatives, on the default generator
    torch.manual_seed(7)
    pos = torch.randperm(10)[:8].sort().values
    neg = (torch.randperm(100)[:24] + 10).sort().values
    assert torch.equal(a.pos_inds, pos) and torch.equal(a.neg_inds, neg)
    torch.manual_seed(8)
    c = sampler.sample(_assign_result(), _priors(115), GTS, GT_LABELS)
    assert not torch.equal(a.neg_inds, c.neg_inds)


def test_no_gts():
    sampler = RandomSampler(num=8, pos_fraction=0.25)
    assign = MaxIoUAssigner(0.5, 0.5).assign(_priors(20), torch.zeros(0, 4),
                                              torch.zeros(0, dtype=torch.long))
    res = sampler.sample(assign, _priors(20), torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    assert res.pos_inds.numel() == 0 and res.neg_inds.numel() == 8
    assert res.pos_gt_bboxes.shape == (0, 4) and res.num_gts == 0


def test_pseudo_sampler_and_instance_data():
    assign = _assign_result(num_pos=4, num_neg=6, num_ign=2)
    res = PseudoSampler().sample(assign, InstanceData(priors=_priors(12)),
                                 InstanceData(bboxes=GTS, labels=GT_LABELS))
    assert res.pos_inds.tolist() == [0, 1, 2, 3] and res.neg_inds.tolist() == list(range(4, 10))
    assert res.avg_factor == 4 and res.pos_gt_inds.tolist() == [0, 1, 2, 0]
    sampler = TASK_UTILS.build(dict(type='RandomSampler', num=512, pos_fraction=0.25,
                                    neg_pos_ub=-1, add_gt_as_proposals=True))
    res = sampler.sample(_assign_result(), InstanceData(priors=_priors(115)),
                         InstanceData(bboxes=GTS, labels=GT_LABELS))
    assert res.pos_inds.numel() == 13 and res.neg_inds.numel() == 100
    assert TASK_UTILS.build(dict(type='PseudoSampler')) is not None
