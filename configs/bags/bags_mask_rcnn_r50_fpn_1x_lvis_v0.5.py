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
_base_ = ['../lvis/mask_rcnn_r50_fpn_1x_lvis_v0.5.py', '../_base_/bags.py']
model = dict(
    roi_head=dict(bbox_head={{_base_.bags_head}}),
    # everything else (backbone, RPN, box regression, masks) stays the stage-1 model's
    train_only=['roi_head.bbox_head.fc_cls'])
partial_load = {{_base_.bags_partial_load}}
train_cfg = {{_base_.bags_train_cfg}}
optim_wrapper = {{_base_.bags_optim_wrapper}}
param_scheduler = {{_base_.bags_param_scheduler}}
