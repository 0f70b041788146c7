"""IoU calculator usable as ``iou_calculator=dict(type='BboxOverlaps2D')``."""
import torch
from torch import Tensor

from mmdet.registry import TASK_UTILS
from mmdet.structures.bbox import bbox_overlaps


@TASK_UTILS.register_module()
class BboxOverlaps2D:
    """Pairwise (or aligned) IoU / IoF of ``x1, y1, x2, y2`` boxes, no "+1".

    Boxes with a 5th column (a score) are accepted; the score is ignored.
    Large pairwise matrices are computed in blocks of about ``chunk_size`` pairs, so
    that temporaries stay small (the values are identical: every pair is computed by
    the same elementwise operations).
    """

    def __init__(self, chunk_size: int = 1 << 22) -> None:
        self.chunk_size = chunk_size

    def __call__(self, bboxes1: Tensor, bboxes2: Tensor, mode: str = 'iou',
                 is_aligned: bool = False) -> Tensor:
        if bboxes1.size(-1) not in (0, 4, 5) or bboxes2.size(-1) not in (0, 4, 5):
            raise ValueError('boxes must have 4 (or 5, with a score) columns')
        bboxes1 = bboxes1[..., :4]
        bboxes2 = bboxes2[..., :4]
        if not is_aligned:
            return self._pairwise(bboxes1, bboxes2, mode)
        if mode not in ('iou', 'iof'):
            raise ValueError(f"mode must be 'iou' or 'iof', got {mode!r}")
        if bboxes1.shape[:-1] != bboxes2.shape[:-1]:
            raise ValueError('aligned boxes must have the same number of rows')
        lt = torch.maximum(bboxes1[..., :2], bboxes2[..., :2])
        rb = torch.minimum(bboxes1[..., 2:], bboxes2[..., 2:])
        wh = (rb - lt).clamp(min=0)
        inter = wh[..., 0] * wh[..., 1]
        area1 = (bboxes1[..., 2] - bboxes1[..., 0]) * (bboxes1[..., 3] - bboxes1[..., 1])
        if mode == 'iou':
            area2 = (bboxes2[..., 2] - bboxes2[..., 0]) * (bboxes2[..., 3] - bboxes2[..., 1])
            union = area1 + area2 - inter
        else:
            union = area1
        return inter / union.clamp(min=1e-6)

    def _pairwise(self, bboxes1: Tensor, bboxes2: Tensor, mode: str) -> Tensor:
        n1, n2 = bboxes1.shape[0], bboxes2.shape[0]
        if n1 * n2 <= self.chunk_size or n1 == 0 or n2 == 0:
            return bbox_overlaps(bboxes1, bboxes2, mode=mode)
        if n2 >= n1:  # split the longer side
            step = max(1, self.chunk_size // n1)
            return torch.cat([bbox_overlaps(bboxes1, bboxes2[i:i + step], mode=mode)
                              for i in range(0, n2, step)], dim=1)
        step = max(1, self.chunk_size // n2)
        return torch.cat([bbox_overlaps(bboxes1[i:i + step], bboxes2, mode=mode)
                          for i in range(0, n1, step)], dim=0)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}()'
