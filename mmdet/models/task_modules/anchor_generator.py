"""Anchor generator for anchor-based dense heads (mmdetection 3.x conventions).

Boxes are ``x1, y1, x2, y2`` floats with no "+1". For ratio ``r = h / w`` and scale ``s``
the base anchor of a level with base size ``b`` has ``w = b * s / sqrt(r)`` and
``h = b * s * sqrt(r)``, centred at ``(b * center_offset, b * center_offset)`` (or at an
explicit per-level ``centers[i]``), not rounded. Anchors are shifted by ``(x * stride_w,
y * stride_h)`` and flattened in ``(y, x, anchor)`` order.
"""
import math
from typing import List, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS


def _pair(value) -> Tuple:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f'a stride pair needs 2 values, got {value!r}')
        return tuple(value)
    return (value, value)


@TASK_UTILS.register_module()
class AnchorGenerator:
    """Standard anchor generator for 2D anchor-based detectors.

    Args:
        strides: per-level strides; an int, or a pair ``(stride_w, stride_h)``.
        ratios: height / width ratios of the anchors of one location.
        scales: anchor scales; exclusive with ``octave_base_scale`` +
            ``scales_per_octave``.
        base_sizes: per-level base sizes; the smaller of each level's stride pair
            by default.
        scale_major: if True, the base anchors of a location are ordered ratio-major
            (all scales of ratio 0, then of ratio 1, ...), as in mmdetection.
        octave_base_scale, scales_per_octave: scales
            ``octave_base_scale * 2 ** (i / scales_per_octave)`` (RetinaNet style).
        centers: optional per-level explicit ``(cx, cy)`` of the base anchors.
        center_offset: base-anchor centre as a fraction of the base size
            (0 puts anchor centres on the top-left corner of each cell).
    """

    def __init__(self,
                 strides: Sequence[Union[int, Tuple[int, int]]],
                 ratios: Sequence[float],
                 scales: Optional[Sequence[float]] = None,
                 base_sizes: Optional[Sequence[int]] = None,
                 scale_major: bool = True,
                 octave_base_scale: Optional[float] = None,
                 scales_per_octave: Optional[int] = None,
                 centers: Optional[Sequence[Tuple[float, float]]] = None,
                 center_offset: float = 0.) -> None:
        if center_offset != 0 and centers is not None:
            raise ValueError('center_offset must be 0 when centers are given, '
                             f'got {center_offset}')
        if not 0 <= center_offset <= 1:
            raise ValueError(f'center_offset must be in [0, 1], got {center_offset}')
        if centers is not None and len(centers) != len(strides):
            raise ValueError('centers and strides need the same length, got '
                             f'{len(centers)} and {len(strides)}')
        self.strides = [_pair(s) for s in strides]
        self.base_sizes = ([min(s) for s in self.strides]
                           if base_sizes is None else list(base_sizes))
        if len(self.base_sizes) != len(self.strides):
            raise ValueError('base_sizes and strides need the same length, got '
                             f'{len(self.base_sizes)} and {len(self.strides)}')

        use_octave = octave_base_scale is not None and scales_per_octave is not None
        if use_octave == (scales is not None):
            raise ValueError('give either scales or both octave_base_scale and '
                             'scales_per_octave')
        if scales is not None:
            self.scales = torch.Tensor(list(scales))
        else:
            octave_scales = [2 ** (i / scales_per_octave) * octave_base_scale
                             for i in range(scales_per_octave)]
            self.scales = torch.Tensor(octave_scales)
        self.octave_base_scale = octave_base_scale
        self.scales_per_octave = scales_per_octave
        self.ratios = torch.Tensor(list(ratios))
        self.scale_major = scale_major
        self.centers = centers
        self.center_offset = center_offset
        self.base_anchors = self.gen_base_anchors()

    # ------------------------------------------------------------------ properties
    @property
    def num_levels(self) -> int:
        return len(self.strides)

    @property
    def num_base_priors(self) -> List[int]:
        """Number of anchors per location, for each level."""
        return [a.size(0) for a in self.base_anchors]

    @property
    def num_base_anchors(self) -> List[int]:
        return self.num_base_priors

    # ---------------------------------------------------------------- base anchors
    def gen_base_anchors(self) -> List[Tensor]:
        return [
            self.gen_single_level_base_anchors(
                base_size, self.scales, self.ratios,
                center=None if self.centers is None else self.centers[i])
            for i, base_size in enumerate(self.base_sizes)
        ]

    def gen_single_level_base_anchors(self, base_size: Union[int, float], scales: Tensor,
                                      ratios: Tensor,
                                      center: Optional[Tuple[float, float]] = None) -> Tensor:
        """Base anchors ``(num_ratios * num_scales, 4)`` of one level."""
        if center is None:
            x_center = self.center_offset * base_size
            y_center = self.center_offset * base_size
        else:
            x_center, y_center = center
        ws, hs = self.anchor_sizes(base_size, scales, ratios)
        return torch.stack([x_center - 0.5 * ws, y_center - 0.5 * hs,
                            x_center + 0.5 * ws, y_center + 0.5 * hs], dim=-1)

    def anchor_sizes(self, base_size: Union[int, float], scales: Tensor,
                     ratios: Tensor) -> Tuple[Tensor, Tensor]:
        """Widths and heights of one level's base anchors (ratio = h / w)."""
        # Same float32 operation order as mmdetection, so anchors match bit for bit.
        h_ratios = torch.sqrt(ratios)
        w_ratios = 1 / h_ratios
        if self.scale_major:
            return ((base_size * w_ratios[:, None] * scales[None, :]).reshape(-1),
                    (base_size * h_ratios[:, None] * scales[None, :]).reshape(-1))
        return ((base_size * scales[:, None] * w_ratios[None, :]).reshape(-1),
                (base_size * scales[:, None] * h_ratios[None, :]).reshape(-1))

    # ------------------------------------------------------------------ grid priors
    @staticmethod
    def _meshgrid(x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor]:
        """Row-major grid: x varies fastest."""
        xx = x.repeat(y.shape[0])
        yy = y.reshape(-1, 1).repeat(1, x.shape[0]).reshape(-1)
        return xx, yy

    def grid_priors(self, featmap_sizes: Sequence[Tuple[int, int]],
                    dtype: torch.dtype = torch.float32,
                    device: Union[str, torch.device] = 'cpu') -> List[Tensor]:
        """Anchors of every level, each ``(h * w * A, 4)`` in ``(y, x, anchor)`` order."""
        if len(featmap_sizes) != self.num_levels:
            raise ValueError(f'expected {self.num_levels} feature map sizes, '
                             f'got {len(featmap_sizes)}')
        return [self.single_level_grid_priors(featmap_sizes[i], i, dtype=dtype, device=device)
                for i in range(self.num_levels)]

    def single_level_grid_priors(self, featmap_size: Tuple[int, int], level_idx: int,
                                 dtype: torch.dtype = torch.float32,
                                 device: Union[str, torch.device] = 'cpu') -> Tensor:
        base_anchors = self.base_anchors[level_idx].to(device).to(dtype)
        feat_h, feat_w = featmap_size
        stride_w, stride_h = self.strides[level_idx]
        shift_x = torch.arange(0, feat_w, device=device).to(dtype) * stride_w
        shift_y = torch.arange(0, feat_h, device=device).to(dtype) * stride_h
        shift_xx, shift_yy = self._meshgrid(shift_x, shift_y)
        shifts = torch.stack([shift_xx, shift_yy, shift_xx, shift_yy], dim=-1)
        # (K, 1, 4) shifts + (1, A, 4) base anchors -> (K, A, 4)
        return (base_anchors[None, :, :] + shifts[:, None, :]).reshape(-1, 4)

    def sparse_priors(self, prior_idxs: Tensor, featmap_size: Tuple[int, int], level_idx: int,
                      dtype: torch.dtype = torch.float32,
                      device: Union[str, torch.device] = 'cpu') -> Tensor:
        """Anchors at the given flat indices of one level's ``grid_priors`` output."""
        height, width = featmap_size
        num_base = self.num_base_priors[level_idx]
        base_anchor_id = prior_idxs % num_base
        x = (prior_idxs // num_base) % width * self.strides[level_idx][0]
        y = (prior_idxs // width // num_base) % height * self.strides[level_idx][1]
        return (torch.stack([x, y, x, y], 1).to(dtype).to(device)
                + self.base_anchors[level_idx][base_anchor_id, :].to(dtype).to(device))

    # ------------------------------------------------------------------ valid flags
    def valid_flags(self, featmap_sizes: Sequence[Tuple[int, int]], pad_shape: Sequence[int],
                    device: Union[str, torch.device] = 'cpu') -> List[Tensor]:
        """Per level, a bool ``(h * w * A,)`` flag of anchors whose cell lies inside
        ``pad_shape[:2] = (H, W)`` (the image area before batch padding)."""
        flags = []
        h, w = pad_shape[:2]
        for i in range(self.num_levels):
            stride_w, stride_h = self.strides[i]
            feat_h, feat_w = featmap_sizes[i]
            valid_h = min(int(math.ceil(h / stride_h)), feat_h)
            valid_w = min(int(math.ceil(w / stride_w)), feat_w)
            flags.append(self.single_level_valid_flags(
                (feat_h, feat_w), (valid_h, valid_w), self.num_base_priors[i], device=device))
        return flags

    def single_level_valid_flags(self, featmap_size: Tuple[int, int],
                                 valid_size: Tuple[int, int], num_base_anchors: int,
                                 device: Union[str, torch.device] = 'cpu') -> Tensor:
        feat_h, feat_w = featmap_size
        valid_h, valid_w = valid_size
        if valid_h > feat_h or valid_w > feat_w:
            raise ValueError(f'valid size {valid_size} exceeds feature size {featmap_size}')
        valid_x = torch.zeros(feat_w, dtype=torch.bool, device=device)
        valid_y = torch.zeros(feat_h, dtype=torch.bool, device=device)
        valid_x[:valid_w] = True
        valid_y[:valid_h] = True
        valid_xx, valid_yy = self._meshgrid(valid_x, valid_y)
        valid = valid_xx & valid_yy
        return valid[:, None].expand(valid.size(0), num_base_anchors).reshape(-1)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(strides={self.strides}, '
                f'ratios={self.ratios.tolist()}, scales={self.scales.tolist()}, '
                f'base_sizes={self.base_sizes}, scale_major={self.scale_major}, '
                f'octave_base_scale={self.octave_base_scale}, '
                f'scales_per_octave={self.scales_per_octave}, centers={self.centers}, '
                f'center_offset={self.center_offset}, num_levels={self.num_levels})')


@TASK_UTILS.register_module()
class LegacyAnchorGenerator(AnchorGenerator):
    """mmdetection v1's anchors, for models trained with it (``configs/legacy_1.x``):
    a box of width ``w`` spans ``w - 1`` pixels (the "+1" convention), the base anchor
    is centred at ``center_offset * (base_size - 1)`` (v1 used ``center_offset=0.5``)
    and its corners are rounded to whole pixels."""

    def gen_single_level_base_anchors(self, base_size: Union[int, float], scales: Tensor,
                                      ratios: Tensor,
                                      center: Optional[Tuple[float, float]] = None) -> Tensor:
        if center is None:
            x_center = y_center = self.center_offset * (base_size - 1)
        else:
            x_center, y_center = center
        ws, hs = self.anchor_sizes(base_size, scales, ratios)
        half_w, half_h = 0.5 * (ws - 1), 0.5 * (hs - 1)
        return torch.stack([x_center - half_w, y_center - half_h,
                            x_center + half_w, y_center + half_h], dim=-1).round()
