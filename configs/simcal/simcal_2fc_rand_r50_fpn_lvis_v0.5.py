# SimCal ablation: a randomly initialised 2-fc calibration head (fc, fc_cls).
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5.py'
model = dict(roi_head=dict(calib_head=dict(variant='2fc_rand')))
