# A tiny Mask R-CNN (ResNet-18 at base width 16) for CPU tests and the toy data:
# the architecture of the mmdetection 3.3 numerical reference in ../shared/data.
_base_ = '../_base_/models/mask_rcnn_r50_fpn.py'

model = dict(
    backbone=dict(depth=18, base_channels=16, init_cfg=None),  # trained from scratch
    neck=dict(in_channels=[16, 32, 64, 128], out_channels=32),
    rpn_head=dict(in_channels=32, feat_channels=32),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=32),
        bbox_head=dict(in_channels=32, fc_out_channels=64, num_classes=8),
        mask_roi_extractor=dict(out_channels=32),
        mask_head=dict(in_channels=32, conv_out_channels=32, num_classes=8)))
