# Cascade Mask R-CNN R50-FPN on LVIS v0.5 with SimCal's stage-1 recipe (as
# mask_rcnn_r50_fpn_1x_lvis_v0.5.py: 12 epochs, lr 0.02 for 16 images, steps at 8 and
# 11, gradient clipping at 35; test: 300 detections per image, score threshold 1e-4).
#   bash tools/dist_train.sh configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py 8
_base_ = [
    '../_base_/models/cascade_mask_rcnn_r50_fpn.py',
    '../_base_/datasets/lvis_v0.5_instance.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
num_classes = 1230
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
model = dict(
    channels_last=True,  # NHWC convolutions in training too: faster, same losses
    roi_head=dict(
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds],
        mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(
        rcnn=dict(score_thr=1e-4, max_per_img=300, nms=dict(type='nms', iou_threshold=0.5))))

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
