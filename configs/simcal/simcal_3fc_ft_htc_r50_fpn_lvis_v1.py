# SimCal on the LVIS v1 HTC R50-FPN (configs/lvis/htc_r50_fpn_20e_lvis_v1.py): the HTC
# calibration of simcal_3fc_ft_htc_r50_fpn_lvis_v0.5.py on the v1 cascade.
_base_ = ['./simcal_3fc_ft_cascade_mask_rcnn_r50_fpn_lvis_v1.py',
          '../_base_/models/htc_semantic.py']
model = dict(
    data_preprocessor=dict(pad_seg=True),
    roi_head=dict(
        type='SimCalHTCRoIHead',
        interleaved=True,
        mask_info_flow=True,
        mask_head=dict(type='HTCMaskHead'),
        semantic_roi_extractor={{_base_.htc_semantic_roi_extractor}},
        semantic_head={{_base_.htc_semantic_head}}))
