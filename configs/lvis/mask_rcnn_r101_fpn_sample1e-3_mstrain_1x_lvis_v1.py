# mmdetection's LVIS v1 model-zoo recipe with ResNet-101:
#   python tools/test.py configs/lvis/mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1.py \
#          zoo://mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1
_base_ = './mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1.py'
model = dict(backbone=dict(depth=101, init_cfg=dict(checkpoint='torchvision://resnet101')))
