"""Normalise, pad and batch images; record batch and pad shapes in the samples."""
import math
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor
from mmengine.structures import PixelData
from torch import Tensor

from mmdet.registry import MODELS


@MODELS.register_module()
class DetDataPreprocessor(BaseDataPreprocessor):
    """Images arrive as a list of ``(3, H, W)`` tensors (uint8 or float, BGR as loaded
    by OpenCV) or a ``(B, 3, H, W)`` tensor. Each is optionally flipped to RGB, then
    ``(x - mean) / std``, then zero-padded at the bottom/right to the batch's largest
    size rounded up to ``pad_size_divisor``. With ``pad_seg`` the samples' semantic maps
    (``gt_sem_seg``) are padded to the batch's size with ``seg_pad_value`` (unlabelled).
    """

    def __init__(self,
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 pad_size_divisor: int = 32,
                 pad_value: float = 0,
                 pad_mask: bool = False,
                 mask_pad_value: int = 0,
                 pad_seg: bool = False,
                 seg_pad_value: int = 255,
                 non_blocking: Optional[bool] = False):
        super().__init__(non_blocking)
        if mask_pad_value != 0:  # pad_mask: masks stay at image size, RoIAlign reads 0 past it
            raise ValueError(f'mask_pad_value={mask_pad_value} is not supported: ground-truth '
                             'masks are read at image size, as if padded with 0')
        if len(mean) != len(std):
            raise ValueError(f'mean and std must have the same length, got {mean} and {std}')
        self.register_buffer('mean', torch.tensor(mean, dtype=torch.float32).view(-1, 1, 1),
                             False)
        self.register_buffer('std', torch.tensor(std, dtype=torch.float32).view(-1, 1, 1),
                             False)
        self.bgr_to_rgb = bgr_to_rgb
        self.pad_size_divisor = pad_size_divisor
        self.pad_value = pad_value
        self.pad_seg, self.seg_pad_value = pad_seg, seg_pad_value

    def _check_image(self, img, index: int) -> None:
        channels = self.mean.shape[0]
        if not isinstance(img, Tensor):
            raise TypeError(f'inputs[{index}] must be a torch.Tensor of shape ({channels}, H, W),'
                            f' got {type(img).__name__}')
        if img.dim() != 3 or img.shape[0] != channels:
            raise ValueError(f'inputs[{index}] must have shape ({channels}, H, W) (channels '
                             f'first), got {tuple(img.shape)}')
        if not (img.dtype == torch.uint8 or img.is_floating_point()):
            raise TypeError(f'inputs[{index}] must be uint8 or floating point, got {img.dtype}')

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, Tensor):
            if inputs.dim() != 4:
                raise ValueError(f'a batched input must have shape (B, 3, H, W), '
                                 f'got {tuple(inputs.shape)}')
            inputs = list(inputs)
        for i, img in enumerate(inputs):
            self._check_image(img, i)
        div = self.pad_size_divisor
        max_h = math.ceil(max(img.shape[1] for img in inputs) / div) * div
        max_w = math.ceil(max(img.shape[2] for img in inputs) / div) * div
        batch = inputs[0].new_full((len(inputs), inputs[0].shape[0], max_h, max_w),
                                   self.pad_value, dtype=torch.float32)
        for i, img in enumerate(inputs):
            if self.bgr_to_rgb:
                img = img.flip(0)
            batch[i, :, :img.shape[1], :img.shape[2]] = (img.float() - self.mean) / self.std
        samples = data.get('data_samples')
        if samples is not None:
            for img, sample in zip(inputs, samples):
                pad = (math.ceil(img.shape[1] / div) * div, math.ceil(img.shape[2] / div) * div)
                sample.set_metainfo(dict(batch_input_shape=(max_h, max_w), pad_shape=pad))
                if self.pad_seg and 'gt_sem_seg' in sample:
                    seg = sample.gt_sem_seg.sem_seg
                    padded = seg.new_full((seg.shape[0], max_h, max_w), self.seg_pad_value)
                    padded[:, :seg.shape[1], :seg.shape[2]] = seg
                    sample.gt_sem_seg = PixelData(sem_seg=padded)
        return dict(inputs=batch, data_samples=samples)
