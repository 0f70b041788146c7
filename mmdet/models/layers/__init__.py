from .deform_conv import (DeformConv2dPack, ModulatedDeformConv2dPack,
                          build_deform_conv)
from .fold_norm import (conv_then_norm, fold_norm_into_conv, folded_conv_params,
                        unfolded_norms)
from .nms import (batched_nms, class_nms, multiclass_nms, nms_iou_threshold,
                  score_candidates)

__all__ = ['DeformConv2dPack', 'ModulatedDeformConv2dPack', 'build_deform_conv',
           'batched_nms', 'class_nms', 'conv_then_norm', 'fold_norm_into_conv',
           'folded_conv_params', 'multiclass_nms', 'nms_iou_threshold',
           'score_candidates', 'unfolded_norms']
