"""RoIAlign that reads channels-last feature maps on the CPU, forward and backward.

The arithmetic is torchvision's CPU ``roi_align`` (aligned or not, adaptive or fixed
sampling) operation for operation in float32, so the outputs and the gradients are bit
for bit equal to it (tested); the gain is the layout: the (B, H, W, C) maps are read
and written as they are, with no NCHW copy of each FPN level and of its gradient, and
the backward, which torchvision runs on one thread, runs one thread per channel block
(every gradient element still sums its terms in torchvision's order).
"""
from typing import List, Sequence

import numba
import numpy as np
import torch
from numba import njit, prange
from torch import Tensor

from mmdet.utils.threads import torch_thread_count_kept

_F = np.float32


@njit(cache=True, inline='always')
def _roi_setup(rois, roi_index, k, scale, pooled_h, pooled_w, sampling_ratio, aligned):
    """(image, output row, start_h, start_w, bin_h, bin_w, grid_h, grid_w) of RoI k, the
    geometry in float32 as torchvision computes it."""
    roi = rois[k]
    offset = _F(0.5) if aligned else _F(0.0)
    start_w = roi[1] * scale - offset
    start_h = roi[2] * scale - offset
    roi_w = (roi[3] * scale - offset) - start_w
    roi_h = (roi[4] * scale - offset) - start_h
    if not aligned:
        roi_w = max(roi_w, _F(1.0))
        roi_h = max(roi_h, _F(1.0))
    bin_h = roi_h / _F(pooled_h)
    bin_w = roi_w / _F(pooled_w)
    grid_h = sampling_ratio if sampling_ratio > 0 else int(np.ceil(roi_h / _F(pooled_h)))
    grid_w = sampling_ratio if sampling_ratio > 0 else int(np.ceil(roi_w / _F(pooled_w)))
    return int(roi[0]), roi_index[k], start_h, start_w, bin_h, bin_w, grid_h, grid_w


@njit(cache=True, inline='always')
def _sample_point(start, p, bin_size, i, grid):
    return start + _F(p) * bin_size + _F(_F(i) + _F(0.5)) * bin_size / _F(grid)


@njit(cache=True, inline='always')
def _bilinear(y, x, height, width):
    """(valid, y_low, x_low, y_high, x_high, w1, w2, w3, w4) of one sampling point."""
    if not (y >= -1.0 and y <= height and x >= -1.0 and x <= width):
        return False, 0, 0, 0, 0, _F(0), _F(0), _F(0), _F(0)
    if y <= 0:
        y = _F(0)
    if x <= 0:
        x = _F(0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = _F(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = _F(x_low)
    else:
        x_high = x_low + 1
    ly = y - _F(y_low)
    lx = x - _F(x_low)
    hy = _F(1.0 - np.float64(ly))  # C++ computes 1. - ly in double, stores a float
    hx = _F(1.0 - np.float64(lx))
    return True, y_low, x_low, y_high, x_high, hy * hx, hy * lx, ly * hx, ly * lx


@njit(cache=True, parallel=True)
def _forward(feat, rois, roi_index, out, scale, sampling_ratio, aligned):
    """out[roi_index[k]] = RoIAlign of rois[k] on feat (B, H, W, C)."""
    height, width, channels = feat.shape[1], feat.shape[2], feat.shape[3]
    pooled_h, pooled_w = out.shape[2], out.shape[3]
    for k in prange(rois.shape[0]):
        b, n, start_h, start_w, bin_h, bin_w, grid_h, grid_w = _roi_setup(
            rois, roi_index, k, scale, pooled_h, pooled_w, sampling_ratio, aligned)
        count = _F(max(grid_h * grid_w, 1))
        acc = np.empty(channels, dtype=np.float32)
        for ph in range(pooled_h):
            for pw in range(pooled_w):
                acc[:] = 0
                for iy in range(grid_h):
                    y = _sample_point(start_h, ph, bin_h, iy, grid_h)
                    for ix in range(grid_w):
                        x = _sample_point(start_w, pw, bin_w, ix, grid_w)
                        valid, y0, x0, y1, x1, w1, w2, w3, w4 = _bilinear(y, x, height, width)
                        if not valid:  # torchvision adds 0 * feat[b, 0, 0]
                            y0 = x0 = y1 = x1 = 0
                        v1, v2 = feat[b, y0, x0], feat[b, y0, x1]
                        v3, v4 = feat[b, y1, x0], feat[b, y1, x1]
                        for c in range(channels):  # (0/1 masks are read as float32)
                            acc[c] += (w1 * _F(v1[c]) + w2 * _F(v2[c]) + w3 * _F(v3[c])
                                       + w4 * _F(v4[c]))
                for c in range(channels):
                    out[n, c, ph, pw] = acc[c] / count


@njit(cache=True, parallel=True)
def _backward(grad_out, rois, roi_index, grad_feat, scale, sampling_ratio, aligned,
              num_blocks):
    """grad_feat (B, H, W, C, zeros) += RoIAlign's gradient for rois[k] from
    grad_out[roi_index[k]]; one channel block per thread, RoIs in order."""
    height, width, channels = grad_feat.shape[1], grad_feat.shape[2], grad_feat.shape[3]
    pooled_h, pooled_w = grad_out.shape[2], grad_out.shape[3]
    block = (channels + num_blocks - 1) // num_blocks
    for blk in prange(num_blocks):
        c_lo, c_hi = blk * block, min(channels, (blk + 1) * block)
        for k in range(rois.shape[0]):
            b, n, start_h, start_w, bin_h, bin_w, grid_h, grid_w = _roi_setup(
                rois, roi_index, k, scale, pooled_h, pooled_w, sampling_ratio, aligned)
            count = _F(grid_h * grid_w)
            for ph in range(pooled_h):
                for pw in range(pooled_w):
                    for iy in range(grid_h):
                        y = _sample_point(start_h, ph, bin_h, iy, grid_h)
                        for ix in range(grid_w):
                            x = _sample_point(start_w, pw, bin_w, ix, grid_w)
                            valid, y0, x0, y1, x1, w1, w2, w3, w4 = _bilinear(
                                y, x, height, width)
                            if not valid:
                                continue
                            g00, g01 = grad_feat[b, y0, x0], grad_feat[b, y0, x1]
                            g10, g11 = grad_feat[b, y1, x0], grad_feat[b, y1, x1]
                            for c in range(c_lo, c_hi):
                                g = grad_out[n, c, ph, pw]
                                g00[c] += g * w1 / count
                                g01[c] += g * w2 / count
                                g10[c] += g * w3 / count
                                g11[c] += g * w4 / count


def supports_nhwc(feat: Tensor) -> bool:
    """Whether :func:`multi_level_roi_align` reads ``feat`` in place: a float32 CPU map
    in channels-last memory format."""
    return (feat.device.type == 'cpu' and feat.dtype == torch.float32 and feat.dim() == 4
            and feat.is_contiguous(memory_format=torch.channels_last))


def _as_nhwc(feat: Tensor) -> np.ndarray:
    return feat.detach().permute(0, 2, 3, 1).numpy()


def _zeros_nhwc(shape) -> np.ndarray:
    """Zeros for a (B, C, H, W) map's gradient, as (B, H, W, C). numpy's zeros come from
    calloc, whose large blocks are fresh zero pages: no memset pass over the whole map
    (torch.zeros writes every byte), and pages the RoIs never touch are never faulted in."""
    batch, channels, height, width = shape
    return np.zeros((batch, height, width, channels), dtype=np.float32)


def _channels_last_tensor(nhwc: np.ndarray) -> Tensor:
    """A (B, H, W, C) array as a channels-last (B, C, H, W) tensor on its memory, detached
    from the permuted view: autograd can then sum the map's other gradients into it in
    place (into a view it could not: each sum would cost a new map and a pass)."""
    return torch.from_numpy(nhwc).permute(0, 3, 1, 2).detach()


class _MultiLevelRoIAlign(torch.autograd.Function):

    @staticmethod
    def forward(ctx, rois, levels, spec, *feats):
        output_size, scales, sampling_ratio, aligned = spec
        out = rois.new_empty(rois.shape[0], feats[0].shape[1], *output_size)
        rois_np = rois.numpy()
        per_level = []  # (output rows, their RoIs) of each level, kept for the backward
        for lvl in range(len(feats)):
            index = torch.nonzero(levels == lvl, as_tuple=True)[0].numpy()
            per_level.append((index, rois_np[index]))
        with torch_thread_count_kept():
            for (index, level_rois), feat, scale in zip(per_level, feats, scales):
                if index.size:
                    _forward(_as_nhwc(feat), level_rois, index, out.numpy(), _F(scale),
                             sampling_ratio, aligned)
        ctx.per_level, ctx.spec = per_level, spec
        ctx.shapes = [f.shape for f in feats]
        return out

    @staticmethod
    def backward(ctx, grad_out):
        _, scales, sampling_ratio, aligned = ctx.spec
        grad_np = grad_out.contiguous().numpy()
        grads = []
        with torch_thread_count_kept():
            for lvl, (shape, scale) in enumerate(zip(ctx.shapes, scales)):
                if not ctx.needs_input_grad[3 + lvl]:
                    grads.append(None)
                    continue
                grad_nhwc = _zeros_nhwc(shape)
                index, level_rois = ctx.per_level[lvl]
                if index.size:
                    _backward(grad_np, level_rois, index, grad_nhwc, _F(scale),
                              sampling_ratio, aligned, numba.get_num_threads())
                grads.append(_channels_last_tensor(grad_nhwc))
        return (None, None, None, *grads)


def multi_level_roi_align(feats: Sequence[Tensor], rois: Tensor, levels: Tensor,
                          output_size: Sequence[int], scales: Sequence[float],
                          sampling_ratio: int, aligned: bool) -> Tensor:
    """RoIAlign of each RoI ``[batch_idx, x1, y1, x2, y2]`` on ``feats[levels[i]]``
    (channels-last float32 CPU maps, see :func:`supports_nhwc`) with that level's
    ``scales`` entry: an (N, C, *output_size) tensor, differentiable in ``feats``."""
    if not all(supports_nhwc(f) for f in feats):
        raise ValueError('multi_level_roi_align reads float32 CPU maps in channels-last '
                         'format')
    spec = (tuple(int(s) for s in output_size), [float(s) for s in scales],
            int(sampling_ratio), bool(aligned))
    return _MultiLevelRoIAlign.apply(rois.detach().float().contiguous(), levels, spec,
                                     *feats)


def roi_align_maps(maps: Tensor, boxes: Tensor, map_inds: Tensor, size: int) -> Tensor:
    """Aligned, adaptive-sampling RoIAlign of box ``i`` on the single-channel CPU map
    ``maps[map_inds[i]]`` ((N, H, W), e.g. uint8 0/1 masks, read as float32 without a
    float copy): (K, size, size) float32, equal to ``torchvision.ops.roi_align`` on
    ``maps.float()[:, None]``."""
    rois = torch.cat([map_inds.to(torch.float32)[:, None], boxes.to(torch.float32)], 1)
    out = rois.new_empty(rois.shape[0], 1, size, size)
    if rois.shape[0]:
        with torch_thread_count_kept():
            _forward(maps.contiguous().numpy()[..., None], rois.contiguous().numpy(),
                     np.arange(rois.shape[0]), out.numpy(), _F(1.0), 0, True)
    return out[:, 0]


__all__: List[str] = ['multi_level_roi_align', 'roi_align_maps', 'supports_nhwc']
