# Balanced Group Softmax (configs/bags/): what its configs share, as named values a
# config takes with {{_base_.NAME}} (after listing this file among its _base_ files).
# The grouped classifier (fc_cls: 2 + C + 4 outputs): count groups [0, 10), [10, 100),
# [100, 1000), [1000, inf) and 8 "others" RoIs kept per positive of a group.
bags_head = dict(type='BAGSBBoxHead', group_edges=(10, 100, 1000), others_ratio=8.0)


def _bags_cascade_heads(classes):
    """The three Cascade / HTC R50-FPN box stages (as the stage-1 configs build them) with
    the grouped classifier."""
    return [dict(bags_head, in_channels=256, fc_out_channels=1024, roi_feat_size=7,
                 num_classes=classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in ([0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1],
                         [0.033, 0.033, 0.067, 0.067])]


bags_cascade_heads_lvis_v0_5 = _bags_cascade_heads(1230)
bags_cascade_heads_lvis_v1 = _bags_cascade_heads(1203)
bags_cascade_train_only = [f'roi_head.bbox_head.{i}.fc_cls' for i in range(3)]

# From a stage-1 checkpoint: its fc_cls (C + 1 rows) does not fit the grouped one, which
# starts re-initialised; the training counts that make the groups come from the training
# set when training starts (saved with the head: testing needs no training file).
bags_partial_load = dict(missing=['roi_head.bbox_head.train_instance_counts'],
                         reinit=['roi_head.bbox_head.fc_cls.*'])
bags_cascade_partial_load = dict(missing=['roi_head.bbox_head.*.train_instance_counts'],
                                 reinit=['roi_head.bbox_head.*.fc_cls.*'])

# The BAGS authors' recipe: 12 epochs, SGD lr 0.01 for 16 images per batch (8 GPUs x 2;
# scale it linearly, or --cfg-options auto_scale_lr.enable=True; their HTC: 0.005),
# momentum 0.9, weight decay 1e-4, lr x0.1 after epochs 8 and 11, 500 linear warmup
# iterations from lr/3, gradient clipping at 35.
bags_train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_interval=12)
bags_optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
bags_param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
