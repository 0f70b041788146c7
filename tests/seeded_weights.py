"""Weights drawn from a seed per parameter name, the same in any environment with the
same torch: reference files store the seed instead of the weights (see
tests/data/make_backbone_reference.py, run with mmdetection installed)."""
import math
import zlib
from typing import Dict, Sequence

import torch


def seeded_state(shapes: Dict[str, Sequence[int]], seed: int = 0) -> Dict[str, torch.Tensor]:
    """A state dict for ``{name: shape}``: convs ~ N(0, 1/fan_in), BatchNorms near the
    identity with positive variances, ``conv_offset`` large enough to move samples by
    pixels, biases small."""
    state = {}
    for name, shape in shapes.items():
        gen = torch.Generator().manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
        if name.endswith('num_batches_tracked'):
            state[name] = torch.tensor(0)
            continue
        value = torch.randn(*shape, generator=gen)
        if name.endswith('running_var'):
            value = value.abs() * 0.5 + 0.5
        elif name.endswith('running_mean'):
            value = value * 0.1
        elif len(shape) > 1:  # kernels
            fan_in = math.prod(shape[1:])
            value = value * ((3.0 if 'conv_offset' in name else 1.0) / math.sqrt(fan_in))
        elif '.bn' in name and name.endswith('weight') or 'norm' in name and name.endswith('weight'):
            value = 1 + 0.1 * value
        else:
            value = value * 0.1
        state[name] = value
    return state
