# The SimCal paper's released LVIS v0.5 "r50-ag" model (class-agnostic box regression and
# masks) with its 3fc_ft head, tested with v1's numerics. Published (paper, dual head):
# mask AP 22.2, APr 18.2.
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5_v1.py'
model = dict(
    roi_head=dict(
        bbox_head=dict(reg_class_agnostic=True),
        mask_head=dict(class_agnostic=True)))
