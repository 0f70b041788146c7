"""The channels-last RoIAlign equals torchvision's, outputs and gradients bit for bit."""
import pytest
import torch
from torchvision.ops import roi_align

from mmdet.models.layers.roi_align_nhwc import multi_level_roi_align, supports_nhwc
from mmdet.models.roi_heads.roi_extractors.single_level_roi_extractor import (
    SingleRoIExtractor)


def _problem(seed, shapes, channels=24, num_rois=300, batch=2):
    gen = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, channels, h, w, generator=gen)
             .contiguous(memory_format=torch.channels_last) for h, w in shapes]
    img_h, img_w = shapes[0][0] * 4, shapes[0][1] * 4
    xy = torch.rand(num_rois, 2, generator=gen) * torch.tensor([img_w, img_h]) * 1.1 - 8
    wh = torch.rand(num_rois, 2, generator=gen) ** 2 * torch.tensor([img_w, img_h]) * 0.8
    rois = torch.cat([torch.randint(0, batch, (num_rois, 1), generator=gen).float(),
                      xy, xy + wh], 1)
    # the edges: outside the image, on its last pixel, empty, inverted, sub-pixel
    rois[:6, 1:] = torch.tensor([[-40., -40, -12, -12], [img_w - 3, img_h - 3, img_w + 30,
                                 img_h + 30], [0, 0, 0, 0], [9, 9, 3, 3],
                                 [img_w - .1, img_h - .1, img_w, img_h], [4.2, 7.7, 4.3, 7.9]])
    levels = torch.randint(0, len(shapes), (num_rois,), generator=gen)
    grad = torch.randn(num_rois, channels, 7, 7, generator=gen)
    return feats, rois, levels, grad


def _torchvision(feats, rois, levels, scales, size, sampling_ratio, aligned):
    out = feats[0].new_zeros(rois.shape[0], feats[0].shape[1], *size)
    for lvl, (feat, scale) in enumerate(zip(feats, scales)):
        inds = torch.nonzero(levels == lvl, as_tuple=True)[0]
        out[inds] = roi_align(feat, rois[inds], size, scale, sampling_ratio, aligned)
    return out


@pytest.mark.parametrize('seed,aligned,sampling_ratio', [
    (0, True, 0), (1, True, 0), (2, False, 0), (3, True, 2), (4, False, 1)])
def test_outputs_and_gradients_bit_equal_torchvision(seed, aligned, sampling_ratio):
    shapes = [(48, 60), (24, 30), (12, 15), (6, 8)]
    scales = [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    feats, rois, levels, grad = _problem(seed, shapes)
    ours_in = [f.clone().requires_grad_() for f in feats]
    ref_in = [f.contiguous().requires_grad_() for f in feats]  # NCHW for torchvision
    ours = multi_level_roi_align(ours_in, rois, levels, (7, 7), scales, sampling_ratio,
                                 aligned)
    ref = _torchvision(ref_in, rois, levels, scales, (7, 7), sampling_ratio, aligned)
    assert torch.equal(ours, ref)
    ours_grads = torch.autograd.grad(ours, ours_in, grad)
    ref_grads = torch.autograd.grad(ref, ref_in, grad)
    for lvl, (a, b) in enumerate(zip(ours_grads, ref_grads)):
        assert a.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(a, b), f'level {lvl}: max diff {(a - b).abs().max()}'
        assert b.abs().sum() > 0


def test_frozen_levels_get_no_gradient_and_other_output_sizes():
    feats, rois, levels, _ = _problem(5, [(32, 40), (16, 20)], channels=8, num_rois=50)
    ours_in = [feats[0].clone().requires_grad_(), feats[1]]
    out = multi_level_roi_align(ours_in, rois, levels, (14, 14), [1 / 4, 1 / 8], 0, True)
    ref = _torchvision([f.contiguous() for f in feats], rois, levels, [1 / 4, 1 / 8],
                       (14, 14), 0, True)
    assert torch.equal(out, ref)
    out.sum().backward()
    assert ours_in[0].grad is not None and ours_in[1].grad is None


def test_refuses_maps_it_cannot_read_in_place():
    feats, rois, levels, _ = _problem(6, [(16, 20)], channels=4, num_rois=8)
    assert supports_nhwc(feats[0])
    for bad in (feats[0].contiguous(), feats[0].double()):
        assert not supports_nhwc(bad)
    with pytest.raises(ValueError, match='channels-last'):
        multi_level_roi_align([feats[0].contiguous()], rois, levels * 0, (7, 7), [0.25], 0,
                              True)


def test_extractor_reads_channels_last_maps_as_torchvision_reads_nchw():
    extractor = SingleRoIExtractor(dict(type='RoIAlign', output_size=7, sampling_ratio=0,
                                        aligned=True), out_channels=16,
                                   featmap_strides=[4, 8, 16, 32])
    feats, rois, _, _ = _problem(7, [(64, 80), (32, 40), (16, 20), (8, 10)], channels=16)
    nhwc = extractor([f.clone().requires_grad_() for f in feats], rois)
    nchw = extractor([f.contiguous().requires_grad_() for f in feats], rois)
    assert torch.equal(nhwc, nchw)
    assert nhwc.grad_fn is not None and 'RoIAlign' in type(nhwc.grad_fn).__name__


def test_leaves_torchs_thread_count_as_it_was():
    feats, rois, levels, _ = _problem(8, [(16, 20)], channels=4, num_rois=8)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        feat = feats[0].clone().requires_grad_()
        multi_level_roi_align([feat], rois, levels * 0, (7, 7), [0.25], 0, True).sum().backward()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)


def test_gradient_takes_the_other_gradients_in_place():
    """Autograd sums a map's gradients into the first to arrive when it can: RoIAlign's
    must allow it (a permuted view of the numpy zeros would cost a new map per sum)."""
    feats, rois, levels, _ = _problem(9, [(16, 20)], channels=8, num_rois=12)
    used = feats[0].clone().requires_grad_() * 1.0  # its node receives both gradients
    other = (used * 2).sum()  # made first, so its backward runs after RoIAlign's
    out = multi_level_roi_align([used], rois, levels * 0, (7, 7), [0.25], 0, True)
    roi_grads, summed = [], []
    out.grad_fn.register_hook(lambda grads, _: roi_grads.extend(
        g.data_ptr() for g in grads if g is not None))
    used.register_hook(lambda grad: summed.append(grad.data_ptr()))
    (out.sum() + other).backward()
    assert len(roi_grads) == 1 and summed == roi_grads
