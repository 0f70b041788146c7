# SimCal stages 2 and 3 on the toy data in COCO format (stage 1:
# configs/toy/mask_rcnn_r18c16_fpn_toy_coco.py): the toy recipe, calibration data read
# with CocoDataset, COCO evaluation with the SimCal bins (the COCO-LT path on a CPU).
_base_ = './simcal_3fc_ft_r18c16_fpn_toy_lvis.py'
data_root = 'data/toy_lvis/'
train_ann_file = 'annotations/instances_toy_train.json'
val_ann_file = 'annotations/instances_toy_val.json'

train_dataloader = dict(
    dataset=dict(dataset=dict(type='CocoDataset', data_root=data_root,
                              ann_file=train_ann_file, data_prefix=dict(img='train2017/'))))
test_dataloader = dict(
    dataset=dict(type='CocoDataset', data_root=data_root, ann_file=val_ann_file,
                 data_prefix=dict(img='val2017/')))
test_evaluator = dict(_delete_=True, type='CocoMetric', ann_file=data_root + val_ann_file,
                      train_ann_file=data_root + train_ann_file, metric=['bbox', 'segm'])
