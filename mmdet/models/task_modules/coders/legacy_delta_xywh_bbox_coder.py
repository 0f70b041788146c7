"""mmdetection v1's delta coder, for models trained with it (``configs/legacy_1.x``)."""
from mmdet.registry import TASK_UTILS

from .delta_xywh_bbox_coder import DeltaXYWHBBoxCoder


@TASK_UTILS.register_module()
class LegacyDeltaXYWHBBoxCoder(DeltaXYWHBBoxCoder):
    """:class:`DeltaXYWHBBoxCoder` with v1's "+1" box convention: a box of corners
    ``x1, x2`` is ``x2 - x1 + 1`` wide, and decoded boxes are clipped to ``[0, W - 1]``
    and ``[0, H - 1]``. As in mmdetection's legacy coder, decoded corners are
    ``centre -+ width / 2`` (v1 itself subtracted 0.5 more; mmdetection keeps this form
    because it tests v1 models better)."""

    size_offset = 1.
