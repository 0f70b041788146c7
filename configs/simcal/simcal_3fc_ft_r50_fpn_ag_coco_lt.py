# SimCal on COCO-LT (stage-1 model: configs/coco_lt/mask_rcnn_r50_fpn_ag_1x_coco_lt.py):
# the LVIS recipe with COCO-LT's T = 400 (28 of 80 classes calibrated in the original),
# COCO evaluation on val2017 with the COCO-LT bins, and the original's COCO test settings
# (score threshold 0.05, 100 detections per image).
#   python tools/calibrate.py configs/simcal/simcal_3fc_ft_r50_fpn_ag_coco_lt.py \
#          --load-from STAGE1.pth
#   python tools/test.py configs/simcal/simcal_3fc_ft_r50_fpn_ag_coco_lt.py CKPT --mode all
_base_ = './simcal_3fc_ft_r50_fpn_ag_lvis_v0.5.py'
data_root = 'data/coco/'
train_ann_file = 'annotations/coco_lt_train2017.json'
val_ann_file = 'annotations/instances_val2017.json'
num_classes = 80

model = dict(
    roi_head=dict(
        bbox_head=dict(num_classes=num_classes),
        mask_head=dict(num_classes=num_classes),
        count_threshold=400),
    test_cfg=dict(rcnn=dict(score_thr=0.05, max_per_img=100)))
train_dataloader = dict(
    dataset=dict(dataset=dict(type='CocoDataset', data_root=data_root,
                              ann_file=train_ann_file, data_prefix=dict(img='train2017/'))))
test_dataloader = dict(
    dataset=dict(type='CocoDataset', data_root=data_root, ann_file=val_ann_file,
                 data_prefix=dict(img='val2017/')))
test_evaluator = dict(
    _delete_=True,
    type='CocoMetric',
    ann_file=data_root + val_ann_file,
    train_ann_file=data_root + train_ann_file,
    bin_edges=(1, 20, 400, 8000),
    metric=['bbox', 'segm'])
