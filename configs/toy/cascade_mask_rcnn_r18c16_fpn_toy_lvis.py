# Stage 1 of a small Cascade Mask R-CNN on the generated toy long-tail dataset (the toy
# Mask R-CNN's backbone, neck, RPN and schedule; three box stages at IoU 0.5/0.6/0.7):
#   python tools/train.py configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py
_base_ = './mask_rcnn_r18c16_fpn_toy_lvis.py'
num_classes = 50
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
stage_ious = [0.5, 0.6, 0.7]
model = dict(
    type='CascadeRCNN',
    roi_head=dict(
        _delete_=True,
        type='CascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=32, featmap_strides=[4, 8, 16, 32]),
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=64,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds],
        mask_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
            out_channels=32, featmap_strides=[4, 8, 16, 32]),
        mask_head=dict(type='FCNMaskHead', num_convs=4, in_channels=32, conv_out_channels=32,
                       num_classes=num_classes,
                       loss_mask=dict(type='CrossEntropyLoss', use_mask=True,
                                      loss_weight=1.0))),
    train_cfg=dict(
        rcnn=[dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=iou, neg_iou_thr=iou,
                                 min_pos_iou=iou, match_low_quality=False, ignore_iof_thr=-1),
                   sampler=dict(type='RandomSampler', num=128, pos_fraction=0.25,
                                neg_pos_ub=-1, add_gt_as_proposals=True),
                   mask_size=28, pos_weight=-1)
              for iou in stage_ious]))
