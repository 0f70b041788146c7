# SimCal stages 2 and 3 on the generated toy long-tail dataset, for the stage-1 model of
# configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py (CPU, minutes):
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py \
#          --load-from work_dirs/mask_rcnn_r18c16_fpn_toy_lvis/epoch_6.pth
#   python tools/test.py configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py CKPT --mode all
# The SimCal settings are the paper's (see simcal_3fc_ft_r50_fpn_lvis_v0.5.py) except the
# schedule, scaled to the toy data: 600 iterations instead of 12k. (On the toy data the
# rare classes keep gaining with more iterations: dual - orig bbox APr was +4.9 after 300,
# +9.4 after 600, +16.0 after 1000 iterations on one stage-1 model; 600 keeps make demo
# under 10 minutes.)
_base_ = '../toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
data_root = 'data/toy_lvis/'
train_ann_file = 'annotations/lvis_toy_train.json'

model = dict(
    type='SimCalDetector',
    roi_head=dict(
        type='SimCalRoIHead',
        calib_head=dict(type='CalibrationHead', variant='3fc_ft'),
        inference_mode='dual',
        count_threshold=100),
    calib_cfg=dict(
        proposal=dict(nms_pre=2000, max_per_img=2000,
                      nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                      min_pos_iou=0.5, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1,
                     add_gt_as_proposals=True),
        drawn_class_only=True,
        neg_pos_ratio=1.0))

# The stage-1 detector has no calibration head: calibration starts it (tools/calibrate.py)
partial_load = dict(missing=['roi_head.calib_head.*'])

calib_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=False),
    dict(type='Resize', scale=(160, 160), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=None,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler'),
    batch_sampler=dict(type='BiLevelClassBatchSampler', num_classes_per_iter=16,
                       images_per_class=1, class_prob_power=0.0),
    dataset=dict(
        type='ClassImagePairDataset',
        dataset=dict(
            type='LVISDataset',
            data_root=data_root,
            ann_file=train_ann_file,
            filter_cfg=dict(filter_empty_gt=True, min_size=0),
            pipeline=calib_pipeline)))

max_iters = 600
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)
val_dataloader = None
val_cfg = None
val_evaluator = None
optim_wrapper = dict(_delete_=True, type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.0, weight_decay=0.0))
param_scheduler = [  # the paper's steps (7k, 10k of 12k) at the same fractions
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[350, 500], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters,
                    max_keep_ckpts=1, save_last=True))
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
custom_hooks = [dict(type='TestProgressBarHook'), dict(type='SimCalHook')]
randomness = dict(seed=0)  # reproducible class draws, flips and RoI samples
