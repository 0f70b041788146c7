# SimCal on the LVIS v0.5 Cascade Mask R-CNN R50-FPN
# (configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py): one 3fc_ft calibration head
# per stage, each calibrated on its stage's RoIs at the stage's IoU (0.5/0.6/0.7); at test
# time their logits are averaged over the stages, then dual with T (configs/simcal/README.md).
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_cascade_mask_rcnn_r50_fpn_lvis_v0.5.py \
#          --load-from STAGE1_CASCADE.pth
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5.py'
num_classes = 1230
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
model = dict(
    roi_head=dict(
        _delete_=True,
        type='SimCalCascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds],
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=256, featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=256, conv_out_channels=256,
                       num_classes=num_classes,
                       loss_mask=dict(type='CrossEntropyLoss', use_mask=True,
                                      loss_weight=1.0)),
        calib_head=dict(type='CalibrationHead', variant='3fc_ft'),
        inference_mode='dual',
        count_threshold=100),
    calib_cfg=dict(stage_iou_thrs=(0.5, 0.6, 0.7)))
