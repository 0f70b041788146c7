# The toy Cascade Mask R-CNN's RoI heads (the toy Mask R-CNN's widths, 50 classes, three
# box stages with mmdetection's cascade target stds, IoU 0.5 / 0.6 / 0.7 in training), as
# variables for the toy cascade configs (stage 1 and SimCal) to place in their roi_head.
toy_cascade_bbox_heads = [
    dict(type='Shared2FCBBoxHead', in_channels=32, fc_out_channels=64, roi_feat_size=7,
         num_classes=50, reg_class_agnostic=True,
         bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                         target_stds=stds),
         loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
         loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
    for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067])]
toy_cascade_roi_extractor = dict(
    type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
    out_channels=32, featmap_strides=[4, 8, 16, 32])
toy_cascade_mask_roi_extractor = dict(
    type='SingleRoIExtractor', roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
    out_channels=32, featmap_strides=[4, 8, 16, 32])
toy_cascade_mask_head = dict(
    type='FCNMaskHead', num_convs=4, in_channels=32, conv_out_channels=32, num_classes=50,
    loss_mask=dict(type='CrossEntropyLoss', use_mask=True, loss_weight=1.0))
toy_cascade_rcnn_train = [
    dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=iou, neg_iou_thr=iou,
                       min_pos_iou=iou, match_low_quality=False, ignore_iof_thr=-1),
         sampler=dict(type='RandomSampler', num=128, pos_fraction=0.25, neg_pos_ub=-1,
                      add_gt_as_proposals=True),
         mask_size=28, pos_weight=-1)
    for iou in (0.5, 0.6, 0.7)]
