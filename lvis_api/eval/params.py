"""Evaluation parameters, with the official names and default values."""
from typing import List

import numpy as np


class Params:
    """What :class:`~lvis_api.eval.LVISEval` evaluates.

    ``iou_thrs`` (.50:.05:.95) and ``rec_thrs`` (101 points) are built exactly as the
    official code builds them, so thresholds compare bit for bit. ``max_dets`` and
    ``max_dets_per_cat`` only label the results: the caps are applied by
    :class:`~lvis_api.LVISResults`.
    """

    def __init__(self, iou_type: str):
        self.iou_type = iou_type
        self.img_ids: List[int] = []
        self.cat_ids: List[int] = []
        self.iou_thrs = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1,
                                    endpoint=True)
        self.rec_thrs = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1,
                                    endpoint=True)
        self.max_dets = 300
        self.max_dets_per_cat = -1
        self.area_rng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2],
                         [96 ** 2, 1e5 ** 2]]
        self.area_rng_lbl = ['all', 'small', 'medium', 'large']
        self.use_cats = 1
        # Category groups by the ``frequency`` field (image count in the LVIS train set):
        # rare < 10 images, common 10-99, frequent >= 100.
        self.img_count_lbl = ['r', 'c', 'f']

    @property
    def max_dets_label(self) -> str:
        """``300``, ``10000/cat`` or ``300/im,10000/cat``, as in the lvis-api master."""
        if self.max_dets_per_cat < 0:
            return str(self.max_dets)
        if self.max_dets < 0:
            return f'{self.max_dets_per_cat}/cat'
        return f'{self.max_dets}/im,{self.max_dets_per_cat}/cat'
