# COCO-LT (SimCal's long-tail COCO): training on the sampled subset of COCO train2017
# written by tools/misc/make_coco_lt.py (a seeded re-creation: the original file was
# never published), testing on COCO val2017 with COCO's rules (CocoMetric: no federated
# fields, crowd regions ignored, 100 detections per image and class) plus AP1..AP4 over
# COCO-LT's training-count bins [1,20), [20,400), [400,8000), [8000,inf) and bAP.
_base_ = './lvis_v0.5_instance.py'
dataset_type = 'CocoDataset'
data_root = 'data/coco/'
train_ann_file = 'annotations/coco_lt_train2017.json'
val_ann_file = 'annotations/instances_val2017.json'
coco_lt_bin_edges = (1, 20, 400, 8000)

train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=train_ann_file,
                 data_prefix=dict(img='train2017/')))
val_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file=val_ann_file,
                 data_prefix=dict(img='val2017/')))
test_dataloader = val_dataloader

val_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=data_root + val_ann_file,
    train_ann_file=data_root + train_ann_file,
    bin_edges=coco_lt_bin_edges,
    metric=['bbox', 'segm'])
test_evaluator = val_evaluator
