_base_ = './mask_rcnn_r50_fpn_1x_lvis_v1.py'
model = dict(
    backbone=dict(depth=101,
                  init_cfg=dict(checkpoint='torchvision://resnet101')))
