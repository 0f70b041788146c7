# The training data of mmdetection's LVIS model zoo, as variables for an LVIS config to
# use (list this file among its _base_ files):
#   train_dataloader = dict(sampler={{_base_.rfs_sampler}},
#                           dataset=dict(pipeline={{_base_.mstrain_pipeline}}))
# repeat factor sampling, t = 1e-3 (mmdetection repeats each image ceil(r) times,
# ClassBalancedDataset; our sampler rounds r stochastically per epoch, as Gupta et al.:
# the same expected repeats), and multi-scale training, shorter side 640..800 in steps
# of 32, longer side at most 1333.
rfs_sampler = dict(_delete_=True, type='RepeatFactorSampler', repeat_thr=1e-3)
mstrain_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in range(640, 801, 32)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
