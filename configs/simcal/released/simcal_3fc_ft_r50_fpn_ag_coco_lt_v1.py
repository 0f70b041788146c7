# The SimCal paper's released COCO-LT "r50-ag" model (mmdetection v1, 80 classes,
# class-agnostic boxes and masks) with its 3fc_ft head, converted into one calibrated
# checkpoint and tested with v1's numerics and the original's COCO test settings (score
# threshold 0.05, 100 detections per image), T = 400. Published (paper, COCO val2017):
# mask AP 18.7 -> 21.8, box 21.4 -> 24.6.
#   python tools/model_converters/upgrade_model_version.py epoch_12.pth simcal_coco_lt.pth \
#          --calib-head 3fc_ft.pth --train-ann data/coco/annotations/coco_lt_train2017.json
#   python tools/test.py configs/simcal/released/simcal_3fc_ft_r50_fpn_ag_coco_lt_v1.py \
#          simcal_coco_lt.pth --mode all
# (the re-created coco_lt_train2017.json has the original's per-class instance counts, so
# T = 400 selects the original's 28 classes)
_base_ = ['../simcal_3fc_ft_r50_fpn_ag_coco_lt.py', '../../_base_/models/v1_numerics.py']
model = {{_base_.v1_numerics_coco}}
