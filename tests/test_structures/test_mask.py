import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

from mmdet.models.layers.roi_align_nhwc import roi_align_maps
from mmdet.structures import InstanceData, RoIMasks, mask_targets
from mmdet.structures.rle import encode_rle

BOXES = torch.tensor([[3.3, 4.7, 40.2, 30.1], [0, 0, 64, 48], [50.5, 40.2, 70, 60],
                      [-5, -3, 10, 12], [20, 20, 20.4, 35], [10, 10, 11, 11],
                      [70, 50, 90, 60]])  # the last one lies outside the 48 x 64 image


def paste_masks(probs, boxes, h, w):
    return RoIMasks(probs, boxes, (h, w)).to_bitmap()


def random_masks(seed=0, num=7):
    gen = torch.Generator().manual_seed(seed)
    return RoIMasks(torch.rand(num, 28, 28, generator=gen), BOXES[:num], (48, 64))


def full_image_paste(probs, boxes, h, w):
    """Reference: grid_sample over the whole image at pixel centres, one mask at a time."""
    out = []
    for prob, (x1, y1, x2, y2) in zip(probs, boxes.tolist()):
        gx = ((torch.arange(w) + 0.5) - x1) / (x2 - x1) * 2 - 1
        gy = ((torch.arange(h) + 0.5) - y1) / (y2 - y1) * 2 - 1
        grid = torch.stack(torch.broadcast_tensors(gx[None, :], gy[:, None]), -1)
        out.append(F.grid_sample(prob[None, None], grid[None], align_corners=False)[0, 0])
    return torch.stack(out) >= 0.5


def test_paste_equals_full_image_paste():
    gen = torch.Generator().manual_seed(0)
    probs = torch.rand(6, 28, 28, generator=gen)
    ours = paste_masks(probs, BOXES[:6], 48, 64)
    assert ours.shape == (6, 48, 64) and ours.dtype == torch.bool
    assert torch.equal(ours, full_image_paste(probs, BOXES[:6], 48, 64))


def test_paste_constant_mask_fills_its_box():
    masks = paste_masks(torch.ones(1, 28, 28), torch.tensor([[10., 5., 30., 25.]]), 40, 40)
    ys, xs = torch.nonzero(masks[0], as_tuple=True)
    assert (xs.min(), xs.max(), ys.min(), ys.max()) == (10, 29, 5, 24)


def test_mask_targets_crop_and_resize():
    gt = torch.zeros(2, 40, 60, dtype=torch.uint8)
    gt[0, 10:30, 20:40] = 1  # a square
    gt[1, :, :30] = 1  # left half
    rois = torch.tensor([[20., 10., 40., 30.], [0., 0., 60., 40.], [20., 10., 40., 30.]])
    targets = mask_targets(gt, rois, torch.tensor([0, 1, 1]), 28)
    assert targets.shape == (3, 28, 28)
    assert targets[0].all()  # the RoI is exactly the square
    assert targets[1, :, :14].all() and not targets[1, :, 14:].any()  # left half of the RoI
    assert targets[2, :, :14].all() and not targets[2, :, 15:].any()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_mask_targets_equal_torchvisions_roi_align_on_float_masks(seed):
    """The CPU path reads the uint8 (or bool) masks in place; the targets are those of
    RoIAlign on the float copy, also on RoIs partly outside the image and tiny ones."""
    gen = torch.Generator().manual_seed(seed)
    num_gt, h, w = 9, 57, 83
    gt = (torch.rand(num_gt, h, w, generator=gen) < 0.3).to(torch.uint8)
    gt[:, 10:40, 20:60] |= (torch.rand(num_gt, 30, 40, generator=gen) < 0.9).to(torch.uint8)
    xy = torch.rand(200, 2, generator=gen) * torch.tensor([w + 20., h + 20.]) - 10
    rois = torch.cat([xy, xy + torch.rand(200, 2, generator=gen) * 50 + 0.05], 1)
    inds = torch.randint(0, num_gt, (200,), generator=gen)
    boxes = torch.cat([inds[:, None].float(), rois], 1)
    expected = roi_align(gt.float()[:, None], boxes, (28, 28), 1.0, 0, True)[:, 0]
    for masks in (gt, gt.bool()):
        assert torch.equal(roi_align_maps(masks, rois, inds, 28), expected)
        targets = mask_targets(masks, rois, inds, 28)
        assert torch.equal(targets, (expected >= 0.5).float())
    assert 0.05 < targets.mean() < 0.95


def test_rle_equals_encoded_bitmap():
    """Each RLE is encoded from its box window alone, yet equals pycocotools' encoding
    of the full-size mask (empty masks and a box outside the image included)."""
    for seed in range(3):
        masks = random_masks(seed)
        bitmaps = masks.to_bitmap()
        assert bitmaps.shape == (7, 48, 64) and bitmaps.dtype == torch.bool
        assert masks.to_rle() == encode_rle(bitmaps)
    assert not bitmaps[6].any()


def test_bitmaps_round_trip():
    gen = torch.Generator().manual_seed(2)
    bitmaps = torch.rand(5, 37, 53, generator=gen) > 0.6
    masks = RoIMasks.from_bitmaps(bitmaps)
    assert torch.equal(masks.to_bitmap(), bitmaps)
    assert masks.to_rle() == encode_rle(bitmaps)


def test_threshold_is_applied():
    probs = torch.full((1, 28, 28), 0.6)
    box = torch.tensor([[10., 5., 30., 25.]])
    assert RoIMasks(probs, box, (40, 40)).to_bitmap().any()
    assert not RoIMasks(probs, box, (40, 40), threshold=0.7).to_bitmap().any()


@pytest.mark.parametrize('index', [
    torch.tensor([2, 0, 2]), torch.tensor([True, False, True, True, False, False, True]),
    slice(1, 5), 3, -1, [4, 1], np.array([0, 6])])
def test_indexing_selects_the_same_masks(index):
    masks = random_masks()
    bitmaps = masks.to_bitmap()
    picked = masks[index]
    if isinstance(index, int):
        index = slice(index, index + 1 if index != -1 else None)
    elif isinstance(index, (list, np.ndarray)):
        index = torch.as_tensor(np.asarray(index))
    assert torch.equal(picked.to_bitmap(), bitmaps[index])


def test_indexing_edge_cases():
    masks = random_masks()
    bitmaps = masks.to_bitmap()
    for index, expected in ((np.int64(2), [2]), (torch.tensor(4), [4]), (-7, [0]),
                            ([], []), (np.zeros(0, bool), [])):
        picked = masks[index]
        assert len(picked) == len(expected)
        assert torch.equal(picked.to_bitmap(), bitmaps[expected])
    for bad in (7, -8, np.int64(9)):
        with pytest.raises(IndexError, match='out of range for 7 masks'):
            masks[bad]


def test_indexing_through_instance_data_keeps_fields_together():
    masks = random_masks()
    inst = InstanceData(bboxes=masks.boxes.clone(), scores=torch.arange(7.), masks=masks)
    for index in (inst.scores > 2, torch.tensor([5, 1]), torch.zeros(7, dtype=torch.bool)):
        sub = inst[index]
        assert len(sub.masks) == len(sub)
        assert torch.equal(sub.masks.boxes, sub.bboxes)
        assert sub.masks.to_rle() == encode_rle(masks.to_bitmap()[index])


def test_cat_and_empty():
    masks = random_masks()
    joined = RoIMasks.cat([masks[:3], masks[3:3], masks[3:]])
    assert torch.equal(joined.to_bitmap(), masks.to_bitmap())
    empty = masks[torch.zeros(7, dtype=torch.bool)]
    assert len(empty) == 0 and empty.to_rle() == [] and empty.to_bitmap().shape == (0, 48, 64)
    with pytest.raises(ValueError, match='one image'):
        RoIMasks.cat([masks, RoIMasks(masks.probs, masks.boxes, (10, 10))])
    with pytest.raises(ValueError, match=r'probs \(N, h, w\) and boxes \(N, 4\)'):
        RoIMasks(masks.probs, masks.boxes[:2], (48, 64))
