# Stage 1 of a small Cascade Mask R-CNN on the generated toy long-tail dataset (the toy
# Mask R-CNN's backbone, neck, RPN and schedule; three box stages at IoU 0.5/0.6/0.7):
#   python tools/train.py configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py
_base_ = ['./mask_rcnn_r18c16_fpn_toy_lvis.py', '../_base_/models/cascade_heads_r18c16_toy.py']
model = dict(
    type='CascadeRCNN',
    roi_head=dict(
        _delete_=True,
        type='CascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor={{_base_.toy_cascade_roi_extractor}},
        bbox_head={{_base_.toy_cascade_bbox_heads}},
        mask_roi_extractor={{_base_.toy_cascade_mask_roi_extractor}},
        mask_head={{_base_.toy_cascade_mask_head}}),
    train_cfg=dict(rcnn={{_base_.toy_cascade_rcnn_train}}))
