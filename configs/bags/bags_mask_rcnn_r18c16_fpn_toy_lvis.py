# Balanced Group Softmax on the generated toy long-tail dataset, from the stage-1 model of
# configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py (CPU, minutes):
#   python tools/train.py configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py \
#          --cfg-options load_from=work_dirs/toy_demo/epoch_6.pth
#   python tools/test.py configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py CKPT
# The BAGS recipe of bags_mask_rcnn_r50_fpn_1x_lvis_v0.5.py (only fc_cls trains, from
# the stage-1 weights, 12 epochs, steps at 8 and 11, lr half the stage-1 one) on the toy
# model and data.
_base_ = '../toy/mask_rcnn_r18c16_fpn_toy_lvis.py'

model = dict(
    roi_head=dict(bbox_head=dict(type='BAGSBBoxHead', group_edges=(10, 100, 1000),
                                 others_ratio=8.0)),
    train_only=['roi_head.bbox_head.fc_cls'])

# From the stage-1 checkpoint: its fc_cls (C + 1 rows) does not fit the grouped one,
# which starts re-initialised; the groups' training counts come from the training set.
partial_load = dict(missing=['roi_head.bbox_head.train_instance_counts'],
                    reinit=['roi_head.bbox_head.fc_cls.*'])

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
