"""Task modules: anchor generator, box coders, assigners and samplers."""
from .anchor_generator import AnchorGenerator, LegacyAnchorGenerator
from .assigners import AssignResult, BaseAssigner, BboxOverlaps2D, MaxIoUAssigner
from .coders import (BaseBBoxCoder, DeltaXYWHBBoxCoder, LegacyDeltaXYWHBBoxCoder, bbox2delta,
                     delta2bbox)
from .samplers import BaseSampler, PseudoSampler, RandomSampler, SamplingResult

__all__ = [
    'AnchorGenerator', 'AssignResult', 'BaseAssigner', 'BboxOverlaps2D', 'MaxIoUAssigner',
    'LegacyAnchorGenerator', 'LegacyDeltaXYWHBBoxCoder',
    'BaseBBoxCoder', 'DeltaXYWHBBoxCoder', 'bbox2delta', 'delta2bbox', 'BaseSampler',
    'PseudoSampler', 'RandomSampler', 'SamplingResult'
]
