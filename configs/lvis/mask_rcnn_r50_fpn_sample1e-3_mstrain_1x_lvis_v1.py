# mmdetection's LVIS v1 model-zoo recipe, under its name: as the v0.5 one
# (mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py) on LVIS v1, 12 epochs with
# steps at 8 and 11:
#   python tools/test.py configs/lvis/mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1.py \
#          zoo://mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1
_base_ = ['./mask_rcnn_r50_fpn_1x_lvis_v1.py', '../_base_/datasets/lvis_rfs_mstrain.py']
train_dataloader = dict(sampler={{_base_.rfs_sampler}},
                        dataset=dict(pipeline={{_base_.mstrain_pipeline}}))
optim_wrapper = dict(clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=12, by_epoch=True, milestones=[8, 11], gamma=0.1)
]
