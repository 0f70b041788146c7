# Balanced Group Softmax (BAGS) on the LVIS v1 Hybrid Task Cascade R50-FPN: each of
# the three box stages gets a grouped classifier, and only the three fc_cls learn (the
# original's HTC setting, `selectp = 3`: "cascade fc_cls only", which it published for
# HTC X101-64x4d on LVIS v0.5; this v1 one is not published).
# At test time the stages' logits are averaged, then merged by groups.
# HTC's semantic branch, mask heads and everything else stay the stage-1 model's
# (frozen; the box and mask RoI features still fuse the semantic ones).
# Stage 1, configs/lvis/htc_r50_fpn_20e_lvis_v1.py (it needs COCO-stuff maps):
#   bash tools/dist_train.sh configs/lvis/htc_r50_fpn_20e_lvis_v1.py 8
# gives STAGE1_CKPT = work_dirs/htc_r50_fpn_20e_lvis_v1/epoch_20.pth. Then:
#   python tools/train.py configs/bags/bags_htc_r50_fpn_20e_lvis_v1.py \
#          --cfg-options load_from=STAGE1_CKPT
#   bash tools/dist_train.sh configs/bags/bags_htc_r50_fpn_20e_lvis_v1.py 8 \
#          --cfg-options load_from=STAGE1_CKPT
#   python tools/test.py configs/bags/bags_htc_r50_fpn_20e_lvis_v1.py \
#          work_dirs/bags_htc_r50_fpn_20e_lvis_v1/epoch_12.pth \
#          --eval bbox segm
# ("20e" names the stage-1 model; BAGS itself trains 12 epochs, as the original's HTC.)
_base_ = ['../lvis/htc_r50_fpn_20e_lvis_v1.py', '../_base_/bags.py']
model = dict(
    roi_head=dict(bbox_head={{_base_.bags_cascade_heads_lvis_v1}}),
    # the semantic head is frozen with the rest: it need not (and must not) be listed
    train_only={{_base_.bags_cascade_train_only}})
partial_load = {{_base_.bags_cascade_partial_load}}

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
# theirs (configs/_base_/bags.py) with lr 0.005, 12 epochs from the 20-epoch HTC.
train_cfg = {{_base_.bags_train_cfg}}
optim_wrapper = dict(optimizer=dict(lr=0.005))
param_scheduler = {{_base_.bags_param_scheduler}}
