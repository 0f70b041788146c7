# mmdetection's LVIS model-zoo recipe with ResNeXt-101 64x4d:
#   python tools/test.py configs/lvis/mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1.py \
#          zoo://mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1
_base_ = './mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1.py'
model = dict(
    backbone=dict(groups=64,
                  init_cfg=dict(checkpoint='open-mmlab://resnext101_64x4d')))
