# Balanced Group Softmax (BAGS) on the LVIS v0.5 Cascade Mask R-CNN R50-FPN: each of the
# three box stages gets a grouped classifier, and only the three fc_cls learn (the
# original's "cascade fc_cls only" setting, which it published for Cascade X101-64x4d
# on LVIS v0.5). At test time the stages' logits are averaged, then merged by groups.
# Stage 1, configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py:
#   bash tools/dist_train.sh configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py 8
# gives STAGE1_CKPT = work_dirs/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5/epoch_12.pth. Then:
#   python tools/train.py configs/bags/bags_cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py \
#          --cfg-options load_from=STAGE1_CKPT
#   bash tools/dist_train.sh configs/bags/bags_cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py 8 \
#          --cfg-options load_from=STAGE1_CKPT
#   python tools/test.py configs/bags/bags_cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py \
#          work_dirs/bags_cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5/epoch_12.pth \
#          --eval bbox segm
_base_ = '../lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py'
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
    train_only=['roi_head.bbox_head.0.fc_cls', 'roi_head.bbox_head.1.fc_cls',
                'roi_head.bbox_head.2.fc_cls'])

# The stage-1 classifiers (1230 + 1 rows) do not fit the grouped ones, which start
# re-initialised; each stage's training counts come from the training set.
partial_load = dict(missing=['roi_head.bbox_head.*.train_instance_counts'],
                    reinit=['roi_head.bbox_head.*.fc_cls.*'])

# The BAGS authors' recipe (their cascade used it too): 12 epochs, SGD lr 0.01 for 16
# images per batch, momentum 0.9, weight decay 1e-4, lr x0.1 after epochs 8 and 11, 500
# linear warmup iterations from lr/3, gradient clipping at 35.
max_epochs = 12
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001),
    clip_grad=dict(max_norm=35, norm_type=2))
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0 / 3, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[8, 11],
         gamma=0.1)
]
