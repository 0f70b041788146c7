# SimCal on LVIS v0.5, Mask R-CNN R50-FPN with class-agnostic box regression and masks
# ("r50-ag"); the stage-1 checkpoint must be class-agnostic too.
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5.py'
model = dict(roi_head=dict(bbox_head=dict(reg_class_agnostic=True),
                           mask_head=dict(class_agnostic=True)))
