# mmdetection v1's numerics, as mmdetection 3.x's configs/legacy_1.x sets them: the "+1"
# box convention (LegacyAnchorGenerator centred half a pixel in, LegacyDeltaXYWHBBoxCoder),
# RoIAlign without alignment (sampling ratio 2) and v1's smooth-L1 betas; and, as the
# SimCal paper tested its v1 models, no score threshold (300 detections). A config applies
# them to its Mask R-CNN with  model = {{_base_.v1_numerics}}  (after listing this file
# among its _base_ files); checkpoints of v1 models need them to give v1's boxes.
v1_numerics = dict(
    rpn_head=dict(
        anchor_generator=dict(type='LegacyAnchorGenerator', center_offset=0.5),
        bbox_coder=dict(type='LegacyDeltaXYWHBBoxCoder'),
        loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0 / 9.0, loss_weight=1.0)),
    roi_head=dict(
        bbox_roi_extractor=dict(
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=2, aligned=False)),
        mask_roi_extractor=dict(
            roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=2, aligned=False)),
        bbox_head=dict(
            bbox_coder=dict(type='LegacyDeltaXYWHBBoxCoder'),
            loss_bbox=dict(_delete_=True, type='SmoothL1Loss', beta=1.0, loss_weight=1.0))),
    train_cfg=dict(
        rpn_proposal=dict(max_per_img=2000),
        rcnn=dict(assigner=dict(match_low_quality=True))),
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
# COCO-LT's release was tested as the original's COCO configs test: score threshold 0.05
v1_numerics_coco = dict(v1_numerics, test_cfg=dict(rcnn=dict(score_thr=0.05)))
