# Stage 1 on the toy data in COCO format (tools/misc/make_toy_lvis.py data/toy_lvis
# --coco: the same images, no LVIS fields, some objects as crowd regions), evaluated with
# COCO's rules (CocoMetric) and the SimCal bins: the COCO / COCO-LT path on a CPU.
_base_ = './mask_rcnn_r18c16_fpn_toy_lvis.py'
dataset_type = 'CocoDataset'
data_root = 'data/toy_lvis/'
train_ann_file = 'annotations/instances_toy_train.json'
val_ann_file = 'annotations/instances_toy_val.json'

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=train_ann_file,
                 data_prefix=dict(img='train2017/')))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_ann_file,
                 data_prefix=dict(img='val2017/')))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=data_root + val_ann_file,
                     train_ann_file=data_root + train_ann_file)
test_evaluator = val_evaluator
