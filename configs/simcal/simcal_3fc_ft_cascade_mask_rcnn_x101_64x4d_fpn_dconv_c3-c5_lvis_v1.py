# SimCal on the LVIS v1 Cascade Mask R-CNN X101-64x4d with DCN in c3-c5
# (configs/lvis/cascade_mask_rcnn_x101_64x4d_fpn_dconv_c3-c5_mstrain_400_1400_1x_lvis_v1.py).
_base_ = './simcal_3fc_ft_cascade_mask_rcnn_r50_fpn_lvis_v1.py'
model = dict(
    backbone=dict(
        type='ResNeXt', depth=101, groups=64, base_width=4,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=None))  # the stage-1 checkpoint holds every weight
