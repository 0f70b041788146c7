# SimCal (ECCV 2020) on LVIS v0.5, Mask R-CNN R50-FPN with class-wise box regression and
# masks ("r50"): stage 2 (calibration) and stage 3 (dual-head inference).
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_r50_fpn_lvis_v0.5.py \
#          --load-from STAGE1.pth                       # any mmdetection-named checkpoint
#   python tools/test.py configs/simcal/simcal_3fc_ft_r50_fpn_lvis_v0.5.py CKPT --mode all
# Every SimCal knob is below, with the paper's value.
_base_ = [
    '../_base_/models/mask_rcnn_r50_fpn.py',
    '../_base_/datasets/lvis_v0.5_instance.py',
    '../_base_/default_runtime.py',
]
data_root = 'data/lvis_v0.5/'
train_ann_file = 'annotations/lvis_v0.5_train.json'
num_classes = 1230

model = dict(
    type='SimCalDetector',
    roi_head=dict(
        type='SimCalRoIHead',
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes),
        # '2fc_rand', '3fc_rand' or '3fc_ft' (copies the box head's fc1, fc2, fc_cls)
        calib_head=dict(type='CalibrationHead', variant='3fc_ft'),
        inference_mode='dual',  # 'orig', 'cal', 'dual' ('all': the three at once)
        # T: calibrated scores for classes with < T training instances (the counts of
        # the calibration data, stored in the calibrated checkpoint)
        count_threshold=100),
    calib_cfg=dict(
        proposal=dict(nms_pre=2000, max_per_img=2000,  # the frozen RPN's proposals
                      nms=dict(type='nms', iou_threshold=0.7), min_bbox_size=0),
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                      min_pos_iou=0.5, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=512, pos_fraction=0.25, neg_pos_ub=-1,
                     add_gt_as_proposals=True),
        drawn_class_only=True,   # keep only positives of the class the image was drawn for
        neg_pos_ratio=1.0),      # background RoIs per kept positive (over the batch)
    test_cfg=dict(
        rpn=dict(nms_pre=1000, max_per_img=1000),
        rcnn=dict(score_thr=1e-4, nms=dict(type='nms', iou_threshold=0.5),
                  max_per_img=300)))  # LVIS: 300 detections per image; 0.0 = the original

# Bi-level sampling: 16 classes per iteration (over all processes, whatever their
# number) drawn uniformly among the classes with training instances, 1 image each. The
# batch sampler sizes the batches: batch_size stays None.
# The stage-1 detector has no calibration head: calibration starts it (tools/calibrate.py)
partial_load = dict(missing=['roi_head.calib_head.*'])

calib_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=False),  # no masks needed
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    _delete_=True,
    batch_size=None,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler'),  # gives the batch sampler the run's seed
    batch_sampler=dict(type='BiLevelClassBatchSampler', num_classes_per_iter=16,
                       images_per_class=1, class_prob_power=0.0),  # 0: uniform
    dataset=dict(
        type='ClassImagePairDataset',
        dataset=dict(
            type='LVISV05Dataset',
            data_root=data_root,
            ann_file=train_ann_file,
            data_prefix=dict(img=''),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline=calib_pipeline)))

# SGD lr 0.01, no momentum, no weight decay; lr x0.1 after 7k and 10k iterations.
max_iters = 12000
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.0, weight_decay=0.0))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[7000, 10000], gamma=0.1)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2,
                    save_last=True))
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
custom_hooks = [dict(type='TestProgressBarHook'), dict(type='SimCalHook')]
