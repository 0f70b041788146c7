# Cascade Mask R-CNN with the original SimCal HTC's backbone and training scales:
# ResNeXt-101 64x4d, DCN in c3-c5, multi-scale training (short side 400-1400, long side
# at most 1600); otherwise cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py.
_base_ = './cascade_mask_rcnn_r50_fpn_1x_lvis_v0.5.py'
model = dict(
    backbone=dict(
        type='ResNeXt', depth=101, groups=64, base_width=4,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomResize', scale=[(1600, 400), (1600, 1400)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
