# Balanced Group Softmax on the generated toy long-tail dataset, from the stage-1 model of
# configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py (CPU, minutes):
#   python tools/train.py configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py \
#          --cfg-options load_from=work_dirs/toy_demo/epoch_6.pth
#   python tools/test.py configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py CKPT
# The BAGS recipe of bags_mask_rcnn_r50_fpn_1x_lvis_v0.5.py (only fc_cls trains, from
# the stage-1 weights, 12 epochs, steps at 8 and 11, lr half the stage-1 one) on the toy
# model and data.
_base_ = ['../toy/mask_rcnn_r18c16_fpn_toy_lvis.py', '../_base_/bags.py']

model = dict(roi_head=dict(bbox_head={{_base_.bags_head}}),
             train_only=['roi_head.bbox_head.fc_cls'])
partial_load = {{_base_.bags_partial_load}}

max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True,
         milestones=[8, 11], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(checkpoint=dict(interval=max_epochs, max_keep_ckpts=1))
randomness = dict(seed=0)  # reproducible flips and "others" draws
