"""Draw detections (boxes, labels, masks) on an image with OpenCV."""
from typing import Optional, Sequence

import cv2
import numpy as np


def _colour(label: int) -> tuple:
    rng = np.random.default_rng(label * 7919 + 17)
    return tuple(int(c) for c in rng.integers(64, 256, 3))


def draw_instances(img: np.ndarray, bboxes: np.ndarray, labels: np.ndarray, scores: np.ndarray,
                   masks: Optional[np.ndarray] = None, class_names: Sequence[str] = (),
                   score_thr: float = 0.3) -> np.ndarray:
    """A copy of the BGR image with the detections scoring at least ``score_thr``."""
    out = img.copy()
    keep = np.flatnonzero(scores >= score_thr)
    for i in keep:
        colour = _colour(int(labels[i]))
        if masks is not None:
            m = masks[i].astype(bool)
            out[m] = (0.5 * out[m] + 0.5 * np.array(colour)).astype(np.uint8)
        x1, y1, x2, y2 = (int(round(v)) for v in bboxes[i])
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, 1)
        name = class_names[labels[i]] if len(class_names) > labels[i] else str(labels[i])
        cv2.putText(out, f'{name} {scores[i]:.2f}', (x1, max(y1 - 2, 8)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, colour, 1, cv2.LINE_AA)
    return out
