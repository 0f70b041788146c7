from .formatting import PackDetInputs
from .loading import LoadAnnotations, LoadImageFromFile, segmentation_to_mask
from .transforms import RandomChoiceResize, RandomFlip, RandomResize, Resize, rescale_size

__all__ = ['PackDetInputs', 'LoadAnnotations', 'LoadImageFromFile', 'segmentation_to_mask',
           'RandomChoiceResize', 'RandomFlip', 'RandomResize', 'Resize', 'rescale_size']
