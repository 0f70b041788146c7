# The BAGS authors' released Mask R-CNN R50-FPN BAGS model (LVIS v0.5; mmdetection v1, the
# original code FishYuLi/BalancedGroupSoftmax) after conversion; published 25.76 / 26.25
# bbox / mask AP (../README.md; not measured here):
#   python tools/model_converters/upgrade_model_version.py gs_mask_rcnn_r50_fpn_1x_lvis.pth \
#          bags_r50_v1.pth --bags data/lvis_v0.5/annotations/lvis_v0.5_train.json
#   python tools/test.py configs/bags/released/bags_mask_rcnn_r50_fpn_1x_lvis_v0.5_v1.py \
#          bags_r50_v1.pth --eval bbox segm
# mmdetection v1's numerics (configs/legacy_1.x) and the original's test settings (score
# threshold 1e-3, up to 300 detections, per-class NMS 0.5).
_base_ = ['../../legacy_1.x/mask_rcnn_r50_fpn_1x_lvis_v0.5_v1.py', '../../_base_/bags.py']
model = dict(roi_head=dict(bbox_head={{_base_.bags_head}}),
             test_cfg=dict(rcnn=dict(score_thr=1e-3)))
