_base_ = './mask_rcnn_r50_fpn_ag_1x_lvis_v0.5.py'
model = dict(
    backbone=dict(depth=101,
                  init_cfg=dict(checkpoint='torchvision://resnet101')))
