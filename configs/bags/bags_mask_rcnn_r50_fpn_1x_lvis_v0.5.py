# Balanced Group Softmax (BAGS, Li et al. CVPR 2020) on the LVIS v0.5 Mask R-CNN R50-FPN:
# the BAGS authors' setting (their published numbers: configs/bags/README.md).
# Stage 1 is the ordinary detector, configs/lvis/mask_rcnn_r50_fpn_1x_lvis_v0.5.py:
#   bash tools/dist_train.sh configs/lvis/mask_rcnn_r50_fpn_1x_lvis_v0.5.py 8
# whose last checkpoint is STAGE1_CKPT: work_dirs/mask_rcnn_r50_fpn_1x_lvis_v0.5/epoch_12.pth
# (any class-wise Mask R-CNN R50-FPN with mmdetection parameter names and the 1230
# LVIS v0.5 classes loads as well). BAGS then trains only the new grouped classifier:
#   python tools/train.py configs/bags/bags_mask_rcnn_r50_fpn_1x_lvis_v0.5.py \
#          --cfg-options load_from=STAGE1_CKPT
#   bash tools/dist_train.sh configs/bags/bags_mask_rcnn_r50_fpn_1x_lvis_v0.5.py 8 \
#          --cfg-options load_from=STAGE1_CKPT
#   python tools/test.py configs/bags/bags_mask_rcnn_r50_fpn_1x_lvis_v0.5.py \
#          work_dirs/bags_mask_rcnn_r50_fpn_1x_lvis_v0.5/epoch_12.pth --eval bbox segm
_base_ = '../lvis/mask_rcnn_r50_fpn_1x_lvis_v0.5.py'

model = dict(
    roi_head=dict(
        # fc_cls: 2 (group 0: background / foreground) + 1230 classes + 4 "others" = 1236
        bbox_head=dict(type='BAGSBBoxHead',
                       group_edges=(10, 100, 1000),  # count groups [0,10) [10,100) ...
                       others_ratio=8.0)),           # "others" RoIs kept per positive
    # everything else (backbone, RPN, box regression, masks) stays the stage-1 model's
    train_only=['roi_head.bbox_head.fc_cls'])

# The stage-1 fc_cls (1230 + 1 rows) does not fit the grouped one, which starts
# re-initialised; the training counts that make the groups come from the training set
# when training starts (and are saved with the head, so testing needs no training file).
partial_load = dict(missing=['roi_head.bbox_head.train_instance_counts'],
                    reinit=['roi_head.bbox_head.fc_cls.*'])

# The BAGS authors' recipe: 12 epochs, SGD lr 0.01 for 16 images per batch (8 GPUs x 2;
# scale it linearly, or --cfg-options auto_scale_lr.enable=True), momentum 0.9, weight
# decay 1e-4, lr x0.1 after epochs 8 and 11, 500 linear warmup iterations from lr/3,
# gradient clipping at 35.
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
