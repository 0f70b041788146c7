from .frozen_bn import FrozenBatchNorm2d
from .resnet import BasicBlock, Bottleneck, ResLayer, ResNet, ResNeXt

__all__ = ['BasicBlock', 'Bottleneck', 'FrozenBatchNorm2d', 'ResLayer', 'ResNet', 'ResNeXt']
