"""Losses (registered in MODELS) and their functional forms."""
from .accuracy import Accuracy, accuracy
from .cross_entropy_loss import (CrossEntropyLoss, binary_cross_entropy, cross_entropy,
                                 mask_cross_entropy)
from .smooth_l1_loss import L1Loss, SmoothL1Loss, l1_loss, smooth_l1_loss
from .utils import reduce_loss, weight_reduce_loss, weighted_loss

__all__ = [
    'Accuracy', 'accuracy', 'CrossEntropyLoss', 'binary_cross_entropy', 'cross_entropy',
    'mask_cross_entropy', 'L1Loss', 'SmoothL1Loss', 'l1_loss', 'smooth_l1_loss',
    'reduce_loss', 'weight_reduce_loss', 'weighted_loss'
]
