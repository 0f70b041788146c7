# The repeat factor sampling baseline (Gupta et al. 2019): images repeated by
# r = max over their classes of max(1, sqrt(t / f(c))), t = 1e-3, rounded stochastically.
_base_ = './mask_rcnn_r50_fpn_1x_lvis_v1.py'
train_dataloader = dict(sampler=dict(_delete_=True, type='RepeatFactorSampler', repeat_thr=1e-3))
