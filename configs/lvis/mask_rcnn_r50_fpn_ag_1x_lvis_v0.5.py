# SimCal's "r50-ag": class-agnostic box regression and masks.
_base_ = './mask_rcnn_r50_fpn_1x_lvis_v0.5.py'
model = dict(
    roi_head=dict(
        bbox_head=dict(reg_class_agnostic=True),
        mask_head=dict(class_agnostic=True)))
