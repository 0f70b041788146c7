"""Base class of box coders: ``encode(bboxes, gt_bboxes)`` and ``decode(bboxes, pred)``."""
from abc import ABCMeta, abstractmethod


class BaseBBoxCoder(metaclass=ABCMeta):
    """Encodes target boxes relative to reference boxes, and decodes predictions back.

    ``encode_size`` is the number of values that encode one box.
    """

    encode_size = 4

    def __init__(self, **kwargs) -> None:
        # Accept (and ignore) mmdetection-only options such as ``use_box_type``.
        pass

    @abstractmethod
    def encode(self, bboxes, gt_bboxes):
        """Encode ``gt_bboxes`` relative to ``bboxes``."""

    @abstractmethod
    def decode(self, bboxes, bboxes_pred):
        """Decode the predicted ``bboxes_pred`` relative to ``bboxes``."""
