# HTC's fused semantic branch (COCO-stuff's 183 classes at 1/8 scale) and the RoI
# extractor of its features, as variables for configs to place in their roi_head:
#   semantic_roi_extractor={{_base_.htc_semantic_roi_extractor}},
#   semantic_head={{_base_.htc_semantic_head}}
htc_semantic_roi_extractor = dict(
    type='SingleRoIExtractor',
    roi_layer=dict(type='RoIAlign', output_size=14, sampling_ratio=0),
    out_channels=256,
    featmap_strides=[8])
htc_semantic_head = dict(
    type='FusedSemanticHead', num_ins=5, fusion_level=1, seg_scale_factor=1 / 8,
    num_convs=4, in_channels=256, conv_out_channels=256, num_classes=183,
    loss_seg=dict(type='CrossEntropyLoss', ignore_index=255, loss_weight=0.2))
