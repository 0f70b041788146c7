# mmdetection's LVIS v0.5 model-zoo recipe, under its name: Mask R-CNN R50-FPN, repeat
# factor sampling (t = 1e-3), multi-scale training (../_base_/datasets/lvis_rfs_mstrain.py),
# 24 epochs, steps at 16 and 22, lr 0.02 for 16 images, 500 warmup iterations from
# lr/1000, no gradient clipping. Its published weights load by name (downloaded once,
# sha256-checked):
#   python tools/test.py configs/lvis/mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py \
#          zoo://mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5
_base_ = ['./mask_rcnn_r50_fpn_1x_lvis_v0.5.py', '../_base_/datasets/lvis_rfs_mstrain.py']
train_dataloader = dict(sampler={{_base_.rfs_sampler}},
                        dataset=dict(pipeline={{_base_.mstrain_pipeline}}))
optim_wrapper = dict(clip_grad=None)
train_cfg = dict(max_epochs=24, val_interval=24)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', begin=0, end=24, by_epoch=True, milestones=[16, 22], gamma=0.1)
]
