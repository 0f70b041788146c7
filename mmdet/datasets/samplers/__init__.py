"""Training samplers: repeat-factor sampling for long-tailed data, aspect-ratio batching."""
from .batch_sampler import AspectRatioBatchSampler
from .repeat_factor_sampler import RepeatFactorSampler

__all__ = ['AspectRatioBatchSampler', 'RepeatFactorSampler']
