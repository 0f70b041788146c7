# SimCal on the LVIS v0.5 HTC R50-FPN (configs/lvis/htc_r50_fpn_20e_lvis_v0.5.py): one
# 3fc_ft head per stage reading that stage's RoI features with the semantic features
# fused in, as the original defines SimCal for HTC (configs/simcal/README.md).
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_htc_r50_fpn_lvis_v0.5.py \
#          --load-from STAGE1_HTC.pth
_base_ = ['./simcal_3fc_ft_cascade_mask_rcnn_r50_fpn_lvis_v0.5.py',
          '../_base_/models/htc_semantic.py']
model = dict(
    data_preprocessor=dict(pad_seg=True),
    roi_head=dict(
        type='SimCalHTCRoIHead',
        interleaved=True,
        mask_info_flow=True,
        mask_head=dict(type='HTCMaskHead'),  # per stage; conv_res from stage 2 on
        semantic_roi_extractor={{_base_.htc_semantic_roi_extractor}},
        semantic_head={{_base_.htc_semantic_head}}))
