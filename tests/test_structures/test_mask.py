import torch
import torch.nn.functional as F

from mmdet.structures import mask_targets, paste_masks


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
    boxes = torch.tensor([[3.3, 4.7, 40.2, 30.1], [0, 0, 64, 48], [50.5, 40.2, 70, 60],
                          [-5, -3, 10, 12], [20, 20, 20.4, 35], [10, 10, 11, 11]])
    ours = paste_masks(probs, boxes, 48, 64)
    assert ours.shape == (6, 48, 64) and ours.dtype == torch.bool
    assert torch.equal(ours, full_image_paste(probs, boxes, 48, 64))


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


def test_paste_rle_equals_encoded_bitmap_paste():
    from mmdet.structures.mask import masks_to_numpy, paste_masks_rle
    from mmdet.structures.rle import encode_rle
    gen = torch.Generator().manual_seed(1)
    probs = torch.rand(7, 28, 28, generator=gen)
    boxes = torch.tensor([[3.3, 4.7, 40.2, 30.1], [0, 0, 64, 48], [50.5, 40.2, 70, 60],
                          [-5, -3, 10, 12], [20, 20, 20.4, 35], [10, 10, 11, 11],
                          [70, 50, 90, 60]])  # the last one lies outside the image
    bitmaps = paste_masks(probs, boxes, 48, 64)
    rles = paste_masks_rle(probs, boxes, 48, 64)
    assert rles == encode_rle(bitmaps)
    assert (masks_to_numpy(rles, 48, 64) == bitmaps.numpy()).all()
    assert masks_to_numpy([], 48, 64).shape == (0, 48, 64)


def test_take_masks_indexes_bitmaps_and_rle_lists():
    from mmdet.structures.mask import take_masks
    from mmdet.structures.rle import encode_rle
    bitmaps = torch.rand(4, 5, 6) > 0.5
    index = torch.tensor([2, 0, 2])
    assert torch.equal(take_masks(bitmaps, index), bitmaps[index])
    assert take_masks(encode_rle(bitmaps), index) == encode_rle(bitmaps[index])
