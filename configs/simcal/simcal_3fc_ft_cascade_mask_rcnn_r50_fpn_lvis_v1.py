# SimCal on the LVIS v1 Cascade Mask R-CNN R50-FPN
# (configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v1.py): as the v0.5 config, one head
# per stage, 1203 classes. The paper reports no LVIS v1 number.
_base_ = './simcal_3fc_ft_cascade_mask_rcnn_r50_fpn_lvis_v0.5.py'
data_root = 'data/lvis_v1/'
train_ann_file = 'annotations/lvis_v1_train.json'
num_classes = 1203
stage_stds = [[0.1, 0.1, 0.2, 0.2], [0.05, 0.05, 0.1, 0.1], [0.033, 0.033, 0.067, 0.067]]
model = dict(
    roi_head=dict(
        bbox_head=[
            dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024,
                 roi_feat_size=7, num_classes=num_classes, reg_class_agnostic=True,
                 bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                                 target_stds=stds),
                 loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
                 loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0))
            for stds in stage_stds],
        mask_head=dict(num_classes=num_classes)))
train_dataloader = dict(dataset=dict(dataset=dict(
    type='LVISV1Dataset', data_root=data_root, ann_file=train_ann_file)))
test_dataloader = dict(dataset=dict(type='LVISV1Dataset', data_root=data_root,
                                    ann_file='annotations/lvis_v1_val.json'))
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_v1_val.json',
                      train_ann_file=data_root + train_ann_file)
