# mmdetection's LVIS model-zoo recipe with ResNeXt-101 32x4d (ImageNet weights by
# open-mmlab:// name, read weights-only):
#   python tools/test.py configs/lvis/mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1.py \
#          zoo://mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1
_base_ = ['./mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1.py',
          '../_base_/models/resnext101_32x4d.py']
model = dict(backbone={{_base_.resnext101_32x4d}})
