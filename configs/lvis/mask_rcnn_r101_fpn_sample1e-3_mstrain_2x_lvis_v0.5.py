# mmdetection's LVIS v0.5 model-zoo recipe with ResNet-101:
#   python tools/test.py configs/lvis/mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py \
#          zoo://mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis_v0.5
_base_ = './mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(checkpoint='torchvision://resnet101')))
