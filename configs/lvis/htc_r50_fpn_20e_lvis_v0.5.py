# Hybrid Task Cascade R50-FPN on LVIS v0.5 (the cascade of
# cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py with HTC's interleaved mask heads, mask
# information flow and semantic branch), trained on COCO-stuff maps for the semantic
# branch: put the 2017 stuffthingmaps under data/lvis_v0.5/stuffthingmaps/ (train2017/*.png,
# laid out as the images). 20 epochs, steps at 16 and 19.
_base_ = ['./cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py', '../_base_/models/htc_semantic.py']
model = dict(
    type='HybridTaskCascade',
    data_preprocessor=dict(pad_seg=True),
    roi_head=dict(
        type='HybridTaskCascadeRoIHead',
        interleaved=True,
        mask_info_flow=True,
        mask_head=dict(type='HTCMaskHead'),  # per stage; conv_res from stage 2 on
        semantic_roi_extractor={{_base_.htc_semantic_roi_extractor}},
        semantic_head={{_base_.htc_semantic_head}}))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True, with_seg=True),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(
    dataset=dict(data_prefix=dict(img='', seg='stuffthingmaps/'), pipeline=train_pipeline))

max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[16, 19],
         gamma=0.1)
]
