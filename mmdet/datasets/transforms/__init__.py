from .formatting import PackDetInputs
from .loading import (LoadAnnotations, LoadImageFromFile, LoadImageFromNDArray,
                      segmentation_to_mask)
from .transforms import RandomChoiceResize, RandomFlip, RandomResize, Resize, rescale_size

__all__ = ['PackDetInputs', 'LoadAnnotations', 'LoadImageFromFile', 'LoadImageFromNDArray',
           'segmentation_to_mask',
           'RandomChoiceResize', 'RandomFlip', 'RandomResize', 'Resize', 'rescale_size']
