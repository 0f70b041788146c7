# The SimCal paper's released "r50-ag" stage-1 detector (class-agnostic box regression
# and masks) with mmdetection v1's numerics; convert and test as in
# mask_rcnn_r50_fpn_1x_lvis_v0.5_v1.py.
_base_ = './mask_rcnn_r50_fpn_1x_lvis_v0.5_v1.py'
model = dict(
    roi_head=dict(
        bbox_head=dict(reg_class_agnostic=True),
        mask_head=dict(class_agnostic=True)))
