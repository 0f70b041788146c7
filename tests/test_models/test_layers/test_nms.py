import pytest
import torch

from mmdet.models.layers import batched_nms, multiclass_nms


def test_batched_nms_is_per_group_and_strict():
    boxes = torch.tensor([[0, 0, 10, 10.], [0, 0, 10, 10.], [1, 0, 11, 10.], [0, 0, 10, 10.]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    groups = torch.tensor([0, 1, 0, 0])
    # box 2 overlaps box 0 with IoU 9/11 = 0.818: suppressed at 0.8, kept at 0.82
    assert batched_nms(boxes, scores, groups, 0.8).tolist() == [0, 1]
    assert batched_nms(boxes, scores, groups, 0.82).tolist() == [0, 1, 2]
    assert batched_nms(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0), 0.5).numel() == 0


def test_multiclass_nms_threshold_background_and_cap():
    boxes = torch.tensor([[0, 0, 10, 10.] * 3, [20, 20, 30, 30.] * 3])
    scores = torch.tensor([[0.5, 0.3, 0.01, 0.19], [0.2, 0.05, 0.6, 0.15]])
    det_boxes, det_scores, labels, roi_inds = multiclass_nms(boxes, scores, 0.05, 0.5)
    # strict threshold: 0.05 is dropped; the background column never yields detections
    assert det_scores.tolist() == pytest.approx([0.6, 0.5, 0.3, 0.2])
    assert labels.tolist() == [2, 0, 1, 0] and roi_inds.tolist() == [1, 0, 0, 1]
    assert det_boxes.shape == (4, 4)
    assert multiclass_nms(boxes, scores, 0.05, 0.5, max_per_img=2)[1].tolist() == pytest.approx([0.6, 0.5])
    # class-agnostic boxes (N, 4)
    assert multiclass_nms(boxes[:, :4], scores, 0.05, 0.5)[0].shape == (4, 4)


def test_many_boxes_per_group_slices_equal_torchvision():
    """Above 4,000 boxes the CPU path runs one NMS per group slice; same kept boxes and
    order as torchvision's batched_nms."""
    from torchvision.ops import boxes as tv_boxes
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(9000, 2, generator=gen) * 200
    boxes = torch.cat([xy, xy + 5 + torch.rand(9000, 2, generator=gen) * 60], 1)
    scores = torch.rand(9000, generator=gen)
    groups = torch.randint(0, 300, (9000,), generator=gen)
    ours = batched_nms(boxes, scores, groups, 0.5)
    assert 1000 < len(ours) < 9000
    assert torch.equal(ours, tv_boxes.batched_nms(boxes, scores, groups, 0.5))
