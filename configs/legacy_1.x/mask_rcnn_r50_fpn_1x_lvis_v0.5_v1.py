# Mask R-CNN R50-FPN on LVIS v0.5 with mmdetection v1's numerics: the SimCal paper's
# released stage-1 detector "r50" (class-wise box regression and masks) after conversion:
#   python tools/model_converters/upgrade_model_version.py epoch_12.pth r50_v1.pth \
#          --num-classes 1230
#   python tools/test.py configs/legacy_1.x/mask_rcnn_r50_fpn_1x_lvis_v0.5_v1.py r50_v1.pth \
#          --eval bbox segm
_base_ = ['../lvis/mask_rcnn_r50_fpn_1x_lvis_v0.5.py', '../_base_/models/v1_numerics.py']
model = {{_base_.v1_numerics}}
