# Stage 1 on the generated toy long-tail dataset, sized for a laptop CPU.
_base_ = [
    './mask_rcnn_r18c16_fpn_tiny.py',
    '../_base_/datasets/toy_lvis_instance.py',
    '../_base_/schedules/schedule_1x.py',
    '../_base_/default_runtime.py',
]
num_classes = 50  # the generator's default
model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False),  # trained from scratch
    roi_head=dict(bbox_head=dict(num_classes=num_classes),
                  mask_head=dict(num_classes=num_classes)),
    train_cfg=dict(rpn_proposal=dict(nms_pre=1000, max_per_img=500),
                   rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300),
                  rcnn=dict(score_thr=1e-4, max_per_img=100)))

max_epochs = 6
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[4, 5], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.02), clip_grad=dict(max_norm=35, norm_type=2))
default_hooks = dict(logger=dict(interval=20), checkpoint=dict(interval=1, max_keep_ckpts=2))
