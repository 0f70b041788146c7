# The SimCal paper's released HTC X101-64x4d DCN (LVIS v0.5, mmdetection v1, epoch_20)
# with its three per-stage 3fc_ft heads, converted into one calibrated checkpoint and
# tested with v1's numerics (legacy anchors and box coders, RoIAlign not aligned with 2
# samples, no score threshold, 300 detections). Published (paper, dual head): mask AP
# 31.9 -> 33.4, APr 13.7 -> 24.7.
#   python tools/model_converters/upgrade_model_version.py htc/epoch_20.pth simcal_htc.pth \
#          --calib-head htc/3fc_ft_stage0.pth htc/3fc_ft_stage1.pth htc/3fc_ft_stage2.pth \
#          --train-ann data/lvis_v0.5/annotations/lvis_v0.5_train.json
#   python tools/test.py configs/simcal/released/simcal_3fc_ft_htc_x101_64x4d_fpn_dconv_c3-c5_lvis_v0.5_v1.py \
#          simcal_htc.pth --mode all
_base_ = '../simcal_3fc_ft_htc_x101_64x4d_fpn_dconv_c3-c5_lvis_v0.5.py'
num_classes = 1230
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
v1_roi_align = dict(type='RoIAlign', sampling_ratio=2, aligned=False)
model = dict(
    rpn_head=dict(
        anchor_generator=dict(type='LegacyAnchorGenerator', center_offset=0.5),
        bbox_coder=dict(type='LegacyDeltaXYWHBBoxCoder'),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_roi_extractor=dict(roi_layer=dict(v1_roi_align, output_size=7)),
        mask_roi_extractor=dict(roi_layer=dict(v1_roi_align, output_size=14)),
        semantic_roi_extractor=dict(roi_layer=dict(v1_roi_align, output_size=14)),
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='LegacyDeltaXYWHBBoxCoder',
                                 target_means=[0., 0., 0., 0.], target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds]),
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
