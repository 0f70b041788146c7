"""HTC's mask head: an FCN mask head that also takes the previous stage's mask
features (mask information flow) through a 1x1 conv, ``conv_res`` (mmdetection's names)."""
from typing import Optional, Tuple

from mmcv.cnn import ConvModule
from torch import Tensor

from mmdet.registry import MODELS
from .fcn_mask_head import FCNMaskHead


@MODELS.register_module()
class HTCMaskHead(FCNMaskHead):
    """``with_conv_res``: add ``conv_res(previous stage's features)`` to the RoI features
    before the convs (the first stage has none)."""

    def __init__(self, with_conv_res: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_conv_res = with_conv_res
        if with_conv_res:
            self.conv_res = ConvModule(self.conv_out_channels, self.conv_out_channels, 1,
                                       conv_cfg=self.conv_cfg, norm_cfg=self.norm_cfg)

    def forward_with_feat(self, x: Tensor, res_feat: Optional[Tensor] = None,
                          labels: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
        """Mask logits (all classes, or ``labels``' only) and this stage's mask features,
        which the next stage takes as ``res_feat``."""
        if res_feat is not None:
            if not self.with_conv_res:
                raise ValueError('this HTC mask head has no conv_res for the previous '
                                 "stage's features (with_conv_res=False)")
            x = x + self.conv_res(res_feat)
        for conv in self.convs:
            x = conv(x)
        return self.logits(x, labels), x

    def forward(self, x: Tensor, labels: Optional[Tensor] = None) -> Tensor:
        return self.forward_with_feat(x, None, labels)[0]
