# SimCal on LVIS v1 (1203 classes), Mask R-CNN R50-FPN, class-wise. The paper reports no
# LVIS v1 number; the settings are those of v0.5.
_base_ = './simcal_3fc_ft_r50_fpn_lvis_v0.5.py'
data_root = 'data/lvis_v1/'
train_ann_file = 'annotations/lvis_v1_train.json'
num_classes = 1203
model = dict(roi_head=dict(bbox_head=dict(num_classes=num_classes),
                           mask_head=dict(num_classes=num_classes)))
train_dataloader = dict(dataset=dict(dataset=dict(
    type='LVISV1Dataset', data_root=data_root, ann_file=train_ann_file)))
test_dataloader = dict(dataset=dict(type='LVISV1Dataset', data_root=data_root,
                                    ann_file='annotations/lvis_v1_val.json'))
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_v1_val.json',
                      train_ann_file=data_root + train_ann_file)
