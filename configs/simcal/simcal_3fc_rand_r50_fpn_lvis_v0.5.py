# SimCal ablation: a randomly initialised 3-fc calibration head (fc, fc, fc_cls).
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5.py'
model = dict(roi_head=dict(calib_head=dict(variant='3fc_rand')))
