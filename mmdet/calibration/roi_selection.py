"""Which RoIs train the calibration head (SimCal stage 2).

After the usual assignment and 512-RoI sampling per image, only the positives whose
label is the class the image was drawn for are kept; positives of other classes are
dropped. Background RoIs are then drawn at random from the whole batch's sampled
negatives, ``neg_pos_ratio`` (1) per kept positive, with the background label.
"""
from typing import List, Sequence, Tuple

import torch
from torch import Tensor


def select_calibration_rois(sampling_results: Sequence, drawn_labels: Sequence[int],
                            num_classes: int, neg_pos_ratio: float = 1.0,
                            drawn_class_only: bool = True) -> Tuple[Tensor, Tensor]:
    """RoIs ``(n, 5)`` (image index, x1, y1, x2, y2) and labels ``(n,)`` (background =
    ``num_classes``): kept positives first, then background.

    Args:
        sampling_results: per image, the RoI sampler's result.
        drawn_labels: per image, the class it was drawn for.
        neg_pos_ratio: background RoIs per kept positive (over the batch).
        drawn_class_only: keep only positives of the drawn class (SimCal); False keeps
            every positive (for ablations).
    """
    pos_rois: List[Tensor] = []
    pos_labels: List[Tensor] = []
    neg_rois: List[Tensor] = []
    for img_id, (res, drawn) in enumerate(zip(sampling_results, drawn_labels)):
        labels = res.pos_gt_labels
        keep = labels == drawn if drawn_class_only else torch.ones_like(labels, dtype=torch.bool)
        pos_rois.append(_with_image_index(res.pos_priors[keep], img_id))
        pos_labels.append(labels[keep])
        neg_rois.append(_with_image_index(res.neg_priors, img_id))
    pos = torch.cat(pos_rois)
    neg = torch.cat(neg_rois)
    num_neg = min(int(round(neg_pos_ratio * pos.shape[0])), neg.shape[0])
    if num_neg < neg.shape[0]:
        neg = neg[torch.randperm(neg.shape[0], device=neg.device)[:num_neg]]
    labels = torch.cat([torch.cat(pos_labels).long(),
                        pos_labels[0].new_full((neg.shape[0],), num_classes, dtype=torch.long)])
    return torch.cat([pos, neg]), labels


def _with_image_index(boxes: Tensor, img_id: int) -> Tensor:
    return torch.cat([boxes.new_full((boxes.shape[0], 1), img_id), boxes[:, :4]], dim=1)
