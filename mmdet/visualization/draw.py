"""Draw detections (boxes, labels, scores, masks) with torchvision's drawing utilities,
and several modes' detections of one image side by side."""
from typing import Dict, Optional, Sequence

import cv2
import numpy as np
import torch
from torchvision.utils import draw_bounding_boxes, draw_segmentation_masks


def _colour(label: int) -> tuple:
    rng = np.random.default_rng(label * 7919 + 17)
    return tuple(int(c) for c in rng.integers(64, 256, 3))


def draw_instances(img: np.ndarray, bboxes: np.ndarray, labels: np.ndarray, scores: np.ndarray,
                   masks: Optional[np.ndarray] = None, class_names: Sequence[str] = (),
                   score_thr: float = 0.3, marked_labels: Sequence[int] = ()) -> np.ndarray:
    """A copy of the BGR image with the detections scoring at least ``score_thr``: masks
    blended in, boxes, ``name score`` labels; labels in ``marked_labels`` (e.g. rare
    classes) get a ``*`` and a thicker box."""
    keep = np.flatnonzero(np.asarray(scores) >= score_thr)
    canvas = torch.from_numpy(np.ascontiguousarray(img[..., ::-1])).permute(2, 0, 1)
    if len(keep) == 0:
        return img.copy()
    labels = np.asarray(labels)[keep]
    colours = [_colour(int(lab)) for lab in labels]
    if masks is not None:
        canvas = draw_segmentation_masks(
            canvas, torch.from_numpy(np.asarray(masks)[keep].astype(bool)), alpha=0.45,
            colors=colours)
    marked = set(int(m) for m in marked_labels)
    texts = []
    for lab, score in zip(labels.tolist(), np.asarray(scores)[keep].tolist()):
        name = class_names[lab] if lab < len(class_names) else str(lab)
        texts.append(f'{name}{"*" if lab in marked else ""} {score:.2f}')
    boxes = torch.as_tensor(np.asarray(bboxes)[keep], dtype=torch.float32).reshape(-1, 4)
    for width in (1, 2):  # marked labels drawn again, thicker
        pick = [i for i, lab in enumerate(labels.tolist()) if width == 1 or lab in marked]
        if pick:
            canvas = draw_bounding_boxes(canvas, boxes[pick], labels=[texts[i] for i in pick],
                                         colors=[colours[i] for i in pick], width=width)
    return np.ascontiguousarray(canvas.permute(1, 2, 0).numpy()[..., ::-1])


def draw_modes_side_by_side(img: np.ndarray, instances_by_mode: Dict[str, object],
                            class_names: Sequence[str] = (), score_thr: float = 0.3,
                            marked_labels: Sequence[int] = ()) -> np.ndarray:
    """One panel per mode (``{mode: InstanceData}``; a mode named '' has no title), side by
    side, each titled with its mode and the number of detections drawn."""
    panels = []
    for mode, inst in instances_by_mode.items():
        masks = None
        if 'masks' in inst:
            masks = inst.masks.to_bitmap() if hasattr(inst.masks, 'to_bitmap') else inst.masks
            masks = masks.cpu().numpy()
        scores = inst.scores.cpu().numpy()
        panel = draw_instances(img, inst.bboxes.cpu().numpy(), inst.labels.cpu().numpy(),
                               scores, masks, class_names, score_thr, marked_labels)
        if mode:
            title = np.full((18, panel.shape[1], 3), 255, np.uint8)
            cv2.putText(title, f'{mode}: {int((scores >= score_thr).sum())} shown', (3, 13),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
            panel = np.concatenate([title, panel], 0)
        panels.append(panel)
    gap = np.full((panels[0].shape[0], 4, 3), 255, np.uint8)
    out = [panels[0]]
    for panel in panels[1:]:
        out += [gap, panel]
    return np.concatenate(out, 1)


def marked_classes(model) -> list:
    """Labels to mark in pictures: for a calibrated SimCal model, the classes whose
    scores it replaces (fewer than T training instances); otherwise LVIS's rare classes
    when the model's dataset_meta has frequencies; else none."""
    roi_head = getattr(model, 'module', model)
    roi_head = getattr(roi_head, 'roi_head', None)
    head = getattr(roi_head, 'calib_head', None)
    if head is not None and bool(head.calibrated):
        columns = head.calibrated_columns(roi_head.count_threshold)
        return torch.nonzero(columns[:-1]).flatten().tolist()
    meta = getattr(getattr(model, 'module', model), 'dataset_meta', None) or {}
    return [i for i, f in enumerate(meta.get('frequencies') or ()) if f == 'r']
