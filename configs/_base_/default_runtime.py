default_scope = 'mmdet'
runner_type = 'Runner'  # mmdet.engine.Runner: atomic checkpoints, weights-only resume

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = [dict(type='TestProgressBarHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))  # tools/*.py switch to gloo on machines without CUDA

log_processor = dict(type='LogProcessor', window_size=50, by_epoch=True)
# Logged scalars always go to <work_dir>/<timestamp>/vis_data/scalars.json (plotted by
# tools/analysis/analyze_logs.py). TensorBoard: pip install -e ".[tensorboard]", then add
#   dict(type='TensorboardVisBackend')  (or --cfg-options with the list below extended);
# W&B: pip install wandb, then add
#   dict(type='WandbVisBackend', init_kwargs=dict(project='simcal'))
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
log_level = 'INFO'
load_from = None
# Checkpoints must fit the model; list the weights a deliberate partial load may lack
# (missing) or hold in another shape (reinit), as fnmatch patterns, e.g. fine-tuning a
# COCO detector on LVIS: reinit=['roi_head.bbox_head.fc_*', 'roi_head.mask_head.conv_logits.*']
partial_load = dict(missing=[], reinit=[])
resume = False
