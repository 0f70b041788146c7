import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.models.task_modules import AssignResult, MaxIoUAssigner
from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps

T = torch.tensor


def _loop_reference(assigner, priors, gts, labels):
    """The per-gt loop of mmdetection's assigner, kept literal, to compare against."""
    overlaps = bbox_overlaps(gts, priors)
    n = priors.shape[0]
    inds = torch.full((n, ), -1, dtype=torch.long)
    max_ov, argmax = overlaps.max(dim=0)
    gt_max, gt_arg = overlaps.max(dim=1)
    inds[(max_ov >= 0) & (max_ov < assigner.neg_iou_thr)] = 0
    pos = max_ov >= assigner.pos_iou_thr
    inds[pos] = argmax[pos] + 1
    if assigner.match_low_quality:
        for i in range(gts.shape[0]):
            if gt_max[i] >= assigner.min_pos_iou:
                if assigner.gt_max_assign_all:
                    inds[overlaps[i] == gt_max[i]] = i + 1
                else:
                    inds[gt_arg[i]] = i + 1
    lab = torch.full((n, ), -1, dtype=torch.long)
    lab[inds > 0] = labels[inds[inds > 0] - 1]
    return inds, max_ov, lab


def test_pos_neg_ignore_band():
    gts = T([[0., 0., 10., 10.], [10., 10., 20., 20.]])
    priors = T([[0., 0., 10., 10.], [10., 10., 20., 20.], [0., 0., 10., 5.], [30., 30., 40., 40.]])
    assigner = MaxIoUAssigner(pos_iou_thr=0.7, neg_iou_thr=0.3, match_low_quality=False)
    res = assigner.assign(priors, gts, T([2, 5]))
    assert isinstance(res, AssignResult) and res.num_gts == 2 and res.num_preds == 4
    assert res.gt_inds.tolist() == [1, 2, -1, 0]
    assert res.labels.tolist() == [2, 5, -1, -1]
    torch.testing.assert_close(res.max_overlaps, T([1., 1., 0.5, 0.]))


def test_neg_iou_band_tuple():
    gts = T([[0., 0., 10., 10.]])
    priors = T([[0., 0., 10., 2.], [30., 30., 40., 40.], [0., 0., 10., 8.]])  # IoU .2, 0, .8
    assigner = MaxIoUAssigner(pos_iou_thr=0.7, neg_iou_thr=(0.1, 0.3), match_low_quality=False)
    assert assigner.assign(priors, gts, T([0])).gt_inds.tolist() == [0, -1, 1]


def test_low_quality_matches():
    gts = T([[0., 0., 10., 10.]])
    priors = T([[0., 0., 10., 6.], [0., 0., 10., 4.], [50., 50., 60., 60.]])  # IoU .6 .4 0
    kw = dict(pos_iou_thr=0.7, neg_iou_thr=0.3)
    res = MaxIoUAssigner(**kw, min_pos_iou=0.3).assign(priors, gts, T([3]))
    assert res.gt_inds.tolist() == [1, -1, 0]
    assert res.labels.tolist() == [3, -1, -1]
    res = MaxIoUAssigner(**kw, min_pos_iou=0.7).assign(priors, gts, T([3]))
    assert res.gt_inds.tolist() == [-1, -1, 0]
    assert MaxIoUAssigner(**kw, match_low_quality=False).assign(
        priors, gts, T([3])).gt_inds.tolist() == [-1, -1, 0]


def test_gt_max_assign_all_ties():
    gts = T([[0., 0., 10., 10.]])
    priors = T([[0., 0., 10., 5.], [0., 5., 10., 10.], [0., 0., 10., 2.]])  # IoU .5 .5 .2
    kw = dict(pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3)
    assert MaxIoUAssigner(**kw).assign(priors, gts, T([0])).gt_inds.tolist() == [1, 1, 0]
    assert MaxIoUAssigner(**kw, gt_max_assign_all=False).assign(
        priors, gts, T([0])).gt_inds.tolist() == [1, -1, 0]


def test_later_gt_overrides_and_low_quality_overrides_positive():
    # prior A: IoU .95 with g0 and .84 with g1; A is g1's best prior, B is g0's best.
    gts = T([[0., 0., 10., 10.], [0., 0., 10., 8.]])
    priors = T([[0., 0., 10., 9.5], [0., 0., 10., 10.]])
    kw = dict(pos_iou_thr=0.7, neg_iou_thr=0.3, min_pos_iou=0.3)
    res = MaxIoUAssigner(**kw).assign(priors, gts, T([4, 6]))
    assert res.gt_inds.tolist() == [2, 1] and res.labels.tolist() == [6, 4]
    assert MaxIoUAssigner(**kw, match_low_quality=False).assign(
        priors, gts, T([4, 6])).gt_inds.tolist() == [1, 1]
    # two identical gts sharing one best prior: the later one wins
    gts = T([[0., 0., 10., 10.], [0., 0., 10., 10.]])
    res = MaxIoUAssigner(**kw).assign(T([[0., 0., 10., 5.]]), gts, T([1, 2]))
    assert res.gt_inds.tolist() == [2] and res.labels.tolist() == [2]


@pytest.mark.parametrize('assign_all', [True, False])
@pytest.mark.parametrize('min_pos_iou', [0.0, 0.3])
def test_matches_loop_reference_on_random_grid_boxes(assign_all, min_pos_iou):
    g = torch.Generator().manual_seed(3)
    def boxes(n):  # integer boxes on a coarse grid produce many exact ties
        xy = torch.randint(0, 8, (n, 2), generator=g).float() * 4
        wh = torch.randint(1, 5, (n, 2), generator=g).float() * 4
        return torch.cat([xy, xy + wh], 1)
    priors, gts = boxes(300), boxes(12)
    labels = torch.randint(0, 5, (12, ), generator=g)
    assigner = MaxIoUAssigner(0.5, 0.4, min_pos_iou=min_pos_iou, gt_max_assign_all=assign_all)
    res = assigner.assign(priors, gts, labels)
    inds, max_ov, lab = _loop_reference(assigner, priors, gts, labels)
    assert torch.equal(res.gt_inds, inds)
    assert torch.equal(res.max_overlaps, max_ov)
    assert torch.equal(res.labels, lab)
    assert (res.gt_inds > 0).any() and (res.gt_inds == 0).any()


def test_empty_gts_and_empty_priors():
    assigner = MaxIoUAssigner(0.7, 0.3)
    priors = T([[0., 0., 10., 10.], [5., 5., 8., 8.]])
    res = assigner.assign(priors, torch.zeros(0, 4), torch.zeros(0, dtype=torch.long))
    assert res.num_gts == 0 and res.gt_inds.tolist() == [0, 0]
    assert res.labels.tolist() == [-1, -1] and res.max_overlaps.tolist() == [0., 0.]
    res = assigner.assign(torch.zeros(0, 4), T([[0., 0., 10., 10.]]), T([1]))
    assert res.num_gts == 1 and res.gt_inds.shape == (0, ) and res.labels.shape == (0, )
    assert res.max_overlaps.shape == (0, )


def test_ignore_boxes():
    gts = T([[0., 0., 10., 10.]])
    priors = T([[0., 0., 10., 10.], [30., 30., 40., 40.], [30., 30., 32., 32.],
                [60., 60., 70., 70.]])
    ignore = T([[30., 30., 40., 40.]])
    res = MaxIoUAssigner(0.7, 0.3, ignore_iof_thr=0.5).assign(priors, gts, T([1]), ignore)
    assert res.gt_inds.tolist() == [1, -1, -1, 0]
    assert res.max_overlaps[1].item() == -1
    res = MaxIoUAssigner(0.7, 0.3, ignore_iof_thr=0.5, ignore_wrt_candidates=False).assign(
        priors, gts, T([1]), ignore)
    assert res.gt_inds.tolist() == [1, -1, 0, 0]  # 4/100 of the ignore box: not ignored
    res = MaxIoUAssigner(0.7, 0.3).assign(priors, gts, T([1]), ignore)  # disabled
    assert res.gt_inds.tolist() == [1, 0, 0, 0]


def test_instance_data_interface_and_registry():
    assigner = TASK_UTILS.build(dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                                     iou_calculator=dict(type='BboxOverlaps2D')))
    pred = InstanceData(priors=T([[0., 0., 10., 10.], [30., 30., 40., 40.]]))
    gt = InstanceData(bboxes=T([[0., 0., 10., 10.]]), labels=T([7]))
    res = assigner.assign(pred, gt)
    assert res.gt_inds.tolist() == [1, 0] and res.labels.tolist() == [7, -1]


def test_add_gt_():
    res = AssignResult(2, T([0, 2, -1]), T([0.1, 0.8, 0.4]), T([-1, 5, -1]))
    res.add_gt_(T([3, 5]))
    assert res.gt_inds.tolist() == [1, 2, 0, 2, -1]
    assert res.labels.tolist() == [3, 5, -1, 5, -1]
    torch.testing.assert_close(res.max_overlaps, T([1., 1., 0.1, 0.8, 0.4]))
    assert res.num_preds == 5


def test_iou_calculator_chunks_and_aligned():
    from mmdet.models.task_modules import BboxOverlaps2D
    g = torch.Generator().manual_seed(5)
    xy = torch.rand(40, 2, generator=g) * 50
    boxes = torch.cat([xy, xy + torch.rand(40, 2, generator=g) * 20 + 1], 1)
    a, b = boxes[:7], boxes[7:]
    for mode in ('iou', 'iof'):
        full = bbox_overlaps(a, b, mode=mode)
        assert torch.equal(BboxOverlaps2D(chunk_size=10)(a, b, mode=mode), full)
        assert torch.equal(BboxOverlaps2D(chunk_size=10)(b, a, mode=mode),
                           bbox_overlaps(b, a, mode=mode))
        aligned = BboxOverlaps2D()(boxes[:20], boxes[20:], mode=mode, is_aligned=True)
        torch.testing.assert_close(
            aligned, bbox_overlaps(boxes[:20], boxes[20:], mode=mode).diagonal())
    scored = torch.cat([a, torch.rand(7, 1, generator=g)], 1)  # a score column is ignored
    assert torch.equal(BboxOverlaps2D()(scored, b), bbox_overlaps(a, b))
    res_small = MaxIoUAssigner(0.5, 0.4, iou_calculator=BboxOverlaps2D(chunk_size=16)).assign(
        b, a, torch.arange(7))
    res_full = MaxIoUAssigner(0.5, 0.4).assign(b, a, torch.arange(7))
    assert torch.equal(res_small.gt_inds, res_full.gt_inds)
