# Mask R-CNN R50-FPN on LVIS v0.5 with SimCal's stage-1 recipe: 12 epochs, lr 0.02 for
# 16 images (8 GPUs x 2), steps at epochs 8 and 11, 500 linear warmup iterations
# (from lr/3), SGD momentum 0.9, weight decay 1e-4, gradient clipping at 35,
# single scale 1333x800, flip 0.5. Test: up to 300 detections per image, per-class NMS
# 0.5, score threshold 1e-4 (0.0 reproduces the original exactly).
_base_ = [
    '../_base_/models/mask_rcnn_r50_fpn.py',
    '../_base_/datasets/lvis_v0.5_instance.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
num_classes = 1230
model = dict(
    channels_last=True,  # NHWC convolutions in training too: faster, same losses
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes)),
    test_cfg=dict(
        rcnn=dict(score_thr=1e-4, max_per_img=300, nms=dict(type='nms', iou_threshold=0.5))))

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
