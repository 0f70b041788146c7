# Hybrid Task Cascade, ResNet-50 + FPN (mmdetection's recipe and parameter names): the
# cascade's three box stages interleaved with mask heads that pass their features on
# (mask information flow), and a fused semantic branch whose features join the box and
# mask RoI features. The semantic maps come from the data: LoadAnnotations(with_seg=True)
# and data_prefix=dict(seg=...).
_base_ = ['./cascade_mask_rcnn_r50_fpn.py', './htc_semantic.py']
model = dict(
    type='HybridTaskCascade',
    data_preprocessor=dict(pad_seg=True),
    roi_head=dict(
        type='HybridTaskCascadeRoIHead',
        interleaved=True,
        mask_info_flow=True,
        mask_head=dict(type='HTCMaskHead'),  # per stage; conv_res from stage 2 on
        semantic_roi_extractor={{_base_.htc_semantic_roi_extractor}},
        semantic_head={{_base_.htc_semantic_head}}))
