# SimCal on the toy Cascade Mask R-CNN (configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py):
# one 3fc_ft calibration head per stage, each started from its stage's box head and
# calibrated on RoIs of that stage (the proposals refined by the earlier stages, as at
# test time) assigned at the stage's IoU threshold (calib_cfg.stage_iou_thrs); at test
# time the heads' logits are averaged over the stages, then the dual replacement with T.
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_cascade_r18c16_fpn_toy_lvis.py \
#          --load-from work_dirs/cascade_mask_rcnn_r18c16_fpn_toy_lvis/epoch_6.pth
#   python tools/test.py configs/simcal/simcal_3fc_ft_cascade_r18c16_fpn_toy_lvis.py CKPT --mode all
_base_ = ['./simcal_3fc_ft_r18c16_fpn_toy_lvis.py', '../_base_/models/cascade_heads_r18c16_toy.py']
model = dict(
    roi_head=dict(
        _delete_=True,
        type='SimCalCascadeRoIHead',
        num_stages=3,
        stage_loss_weights=[1, 0.5, 0.25],
        bbox_roi_extractor={{_base_.toy_cascade_roi_extractor}},
        bbox_head={{_base_.toy_cascade_bbox_heads}},
        mask_roi_extractor={{_base_.toy_cascade_mask_roi_extractor}},
        mask_head={{_base_.toy_cascade_mask_head}},
        calib_head=dict(type='CalibrationHead', variant='3fc_ft'),
        inference_mode='dual',
        count_threshold=100),
    calib_cfg=dict(stage_iou_thrs=(0.5, 0.6, 0.7)),
    train_cfg=dict(rcnn={{_base_.toy_cascade_rcnn_train}}))
