# The SimCal paper's released LVIS v0.5 "r50" model: the stage-1 Mask R-CNN R50-FPN
# (mmdetection v1, class-wise) with its 3fc_ft calibration head, converted into one
# calibrated checkpoint and tested with v1's numerics. Published (paper, dual head):
# mask AP 23.4, APr 16.4. See configs/simcal/README.md for the four commands.
_base_ = ['../simcal_3fc_ft_r50_fpn_lvis_v0.5.py', '../../_base_/models/v1_numerics.py']
model = {{_base_.v1_numerics}}
