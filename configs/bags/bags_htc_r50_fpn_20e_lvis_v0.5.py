# Balanced Group Softmax (BAGS) on the LVIS v0.5 Hybrid Task Cascade R50-FPN: each of
# the three box stages gets a grouped classifier, and only the three fc_cls learn (the
# original's HTC setting, `selectp = 3`: "cascade fc_cls only", which it published for
# HTC X101-64x4d on LVIS v0.5).
# At test time the stages' logits are averaged, then merged by groups.
# HTC's semantic branch, mask heads and everything else stay the stage-1 model's
# (frozen; the box and mask RoI features still fuse the semantic ones).
# Stage 1, configs/lvis/htc_r50_fpn_20e_lvis_v0.5.py (it needs COCO-stuff maps):
#   bash tools/dist_train.sh configs/lvis/htc_r50_fpn_20e_lvis_v0.5.py 8
# gives STAGE1_CKPT = work_dirs/htc_r50_fpn_20e_lvis_v0.5/epoch_20.pth. Then:
#   python tools/train.py configs/bags/bags_htc_r50_fpn_20e_lvis_v0.5.py \
#          --cfg-options load_from=STAGE1_CKPT
#   bash tools/dist_train.sh configs/bags/bags_htc_r50_fpn_20e_lvis_v0.5.py 8 \
#          --cfg-options load_from=STAGE1_CKPT
#   python tools/test.py configs/bags/bags_htc_r50_fpn_20e_lvis_v0.5.py \
#          work_dirs/bags_htc_r50_fpn_20e_lvis_v0.5/epoch_12.pth \
#          --eval bbox segm
# ("20e" names the stage-1 model; BAGS itself trains 12 epochs, as the original's HTC.)
_base_ = '../lvis/htc_r50_fpn_20e_lvis_v0.5.py'
num_classes = 1230
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
model = dict(
    roi_head=dict(
        # the base's three stages (a list is replaced whole, so written out again) with
        # the grouped classifier: 2 + 1230 classes + 4 "others" = 1236 outputs each
        bbox_head=[
            dict(type='BAGSBBoxHead', group_edges=(10, 100, 1000), others_ratio=8.0,
                 in_channels=256, fc_out_channels=1024,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds]),
    # the semantic head is frozen with the rest: it need not (and must not) be listed
    train_only=['roi_head.bbox_head.0.fc_cls', 'roi_head.bbox_head.1.fc_cls',
                'roi_head.bbox_head.2.fc_cls'])

# The stage-1 classifiers (1230 + 1 rows) do not fit the grouped ones, which start
# re-initialised; each stage's training counts come from the training set.
partial_load = dict(missing=['roi_head.bbox_head.*.train_instance_counts'],
                    reinit=['roi_head.bbox_head.*.fc_cls.*'])

# No semantic maps in training: the frozen semantic head computes no loss (train_only;
# the original computed one that changed no weight), so BAGS needs no stuffthingmaps.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(_delete_=True, img=''), pipeline=train_pipeline))

# The BAGS authors' HTC recipe (configs/bags/gs_htc_x101_64x4d_fpn_20e_16gpu_lvis.py):
# 12 epochs from the 20-epoch HTC, SGD lr 0.005 (half their other models') for 16 images
# per batch, momentum 0.9, weight decay 1e-4, lr x0.1 after epochs 8 and 11, 500 linear
# warmup iterations from lr/3, gradient clipping at 35.
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.005, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11],
         gamma=0.1)
]
