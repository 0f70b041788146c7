# SimCal on the original's strongest detector: HTC X101-64x4d with DCN in c3-c5 on LVIS
# v0.5 (configs/lvis/htc_x101_64x4d_fpn_dconv_c3-c5_mstrain_400_1400_20e_lvis_v0.5.py), one
# 3fc_ft head per stage reading that stage's RoI features with the semantic features
# fused in (published, the original: mask AP 31.9 -> 33.4, APr 13.7 -> 24.7).
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_htc_x101_64x4d_fpn_dconv_c3-c5_lvis_v0.5.py \
#          --load-from STAGE1_HTC.pth
_base_ = './simcal_3fc_ft_htc_r50_fpn_lvis_v0.5.py'
model = dict(
    backbone=dict(
        type='ResNeXt', depth=101, groups=64, base_width=4,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=None))  # the stage-1 checkpoint holds every weight
