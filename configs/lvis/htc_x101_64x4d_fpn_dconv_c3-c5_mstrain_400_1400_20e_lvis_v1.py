# The original SimCal's strongest detector on LVIS v1: Hybrid Task Cascade with a
# ResNeXt-101 64x4d backbone, DCN in c3-c5, multi-scale training (short side 400-1400,
# long side at most 1600), 20 epochs; otherwise htc_r50_fpn_20e_lvis_v1.py.
_base_ = './htc_r50_fpn_20e_lvis_v1.py'
model = dict(
    backbone=dict(
        type='ResNeXt', depth=101, groups=64, base_width=4,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True),
        init_cfg=dict(type='Pretrained', checkpoint='open-mmlab://resnext101_64x4d')))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True, with_seg=True),
    dict(type='RandomResize', scale=[(1600, 400), (1600, 1400)], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
