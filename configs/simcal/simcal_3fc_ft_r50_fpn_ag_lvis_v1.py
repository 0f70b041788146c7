# SimCal on LVIS v1, Mask R-CNN R50-FPN with class-agnostic box regression and masks.
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v1.py'
model = dict(roi_head=dict(bbox_head=dict(reg_class_agnostic=True),
                           mask_head=dict(class_agnostic=True)))
