# ResNeXt-101 32x4d as mmdetection's configs set it (ImageNet weights by their
# open-mmlab:// name); a Mask R-CNN config takes it with
#   model = dict(backbone={{_base_.resnext101_32x4d}})
# after listing this file among its _base_ files (64x4d: groups=64 and its checkpoint).
resnext101_32x4d = dict(
    type='ResNeXt',
    depth=101,
    groups=32,
    base_width=4,
    init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_32x4d'))
