# Stage 1 on COCO-LT: Mask R-CNN R50-FPN with class-agnostic box regression and masks
# ("r50-ag", the model of SimCal's COCO-LT table: mask AP 18.7 original head, 21.8 dual),
# 12 epochs, lr 0.02 for 16 images, steps at 8 and 11, 500 warmup iterations.
# Test as the original: score threshold 0.05, up to 100 detections per image.
# Data: python tools/misc/make_coco_lt.py data/coco/annotations/instances_train2017.json \
#           data/coco/annotations/coco_lt_train2017.json
_base_ = [
    '../_base_/models/mask_rcnn_r50_fpn.py',
    '../_base_/datasets/coco_lt_instance.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
num_classes = 80
model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes, reg_class_agnostic=True),
        mask_head=dict(num_classes=num_classes, class_agnostic=True)),
    test_cfg=dict(
        rcnn=dict(score_thr=0.05, max_per_img=100, nms=dict(type='nms', iou_threshold=0.5))))

param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(clip_grad=dict(max_norm=35, norm_type=2))
