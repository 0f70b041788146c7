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
_base_ = ['../lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py', '../_base_/bags.py']
model = dict(
    roi_head=dict(bbox_head={{_base_.bags_cascade_heads_lvis_v0_5}}),
    train_only={{_base_.bags_cascade_train_only}})
partial_load = {{_base_.bags_cascade_partial_load}}
train_cfg = {{_base_.bags_train_cfg}}
optim_wrapper = {{_base_.bags_optim_wrapper}}
param_scheduler = {{_base_.bags_param_scheduler}}
