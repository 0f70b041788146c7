"""Result of assigning ground-truth boxes to priors (anchors or proposals)."""
from typing import Any, Dict, Optional

import torch
from torch import Tensor


class AssignResult:
    """Which gt box each prior was assigned to.

    Attributes:
        num_gts: number of gt boxes the assignment considered.
        gt_inds: ``(num_priors,)`` long; ``0`` = negative (background), ``-1`` =
            ignored, ``k + 1`` = assigned to gt ``k``.
        max_overlaps: ``(num_priors,)`` IoU of each prior with its best gt.
        labels: ``(num_priors,)`` long; the label of the assigned gt, ``-1`` where the
            prior is not positive.
    """

    def __init__(self, num_gts: int, gt_inds: Tensor, max_overlaps: Tensor,
                 labels: Optional[Tensor] = None) -> None:
        self.num_gts = num_gts
        self.gt_inds = gt_inds
        self.max_overlaps = max_overlaps
        self.labels = labels
        self._extra_properties: Dict[str, Any] = {}

    @property
    def num_preds(self) -> int:
        """Number of priors that were assigned."""
        return len(self.gt_inds)

    def set_extra_property(self, key: str, value: Any) -> None:
        if key in self.info:
            raise KeyError(f'{key!r} is a basic property of AssignResult')
        self._extra_properties[key] = value

    def get_extra_property(self, key: str) -> Any:
        return self._extra_properties.get(key, None)

    @property
    def info(self) -> Dict[str, Any]:
        basic = {
            'num_gts': self.num_gts,
            'num_preds': self.num_preds,
            'gt_inds': self.gt_inds,
            'max_overlaps': self.max_overlaps,
            'labels': self.labels,
        }
        basic.update(self._extra_properties)
        return basic

    def add_gt_(self, gt_labels: Tensor) -> None:
        """Prepend the gt boxes as priors assigned to themselves (IoU 1)."""
        num = len(gt_labels)
        self_inds = torch.arange(1, num + 1, dtype=torch.long, device=gt_labels.device)
        self.gt_inds = torch.cat([self_inds, self.gt_inds])
        self.max_overlaps = torch.cat([self.max_overlaps.new_ones(num), self.max_overlaps])
        if self.labels is not None:
            self.labels = torch.cat([gt_labels.to(self.labels.dtype), self.labels])

    def __repr__(self) -> str:
        parts = [f'num_gts={self.num_gts}', f'num_preds={self.num_preds}']
        if self.gt_inds is not None:
            parts.append(f'num_pos={int((self.gt_inds > 0).sum())}')
            parts.append(f'num_neg={int((self.gt_inds == 0).sum())}')
        return f'<{self.__class__.__name__}({", ".join(parts)})>'
