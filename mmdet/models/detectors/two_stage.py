"""Two-stage detectors: backbone, neck, RPN and RoI head (mmdetection's layout)."""
import copy
from typing import Dict, Optional, Tuple, Union

from mmengine.model import BaseModel
from torch import Tensor

from mmdet.registry import MODELS


@MODELS.register_module()
class TwoStageDetector(BaseModel):
    """``forward(inputs, data_samples, mode)`` with mode ``'loss'`` (dict of losses),
    ``'predict'`` (samples with ``pred_instances``) or ``'tensor'`` (raw head outputs)."""

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None,
                 roi_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        # Built from our registry: mmengine's own would not know our types.
        preprocessor = MODELS.build(data_preprocessor or dict(type='DetDataPreprocessor'))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        if rpn_head is not None:
            rpn_head = copy.deepcopy(dict(rpn_head))
            rpn_head.update(train_cfg=(train_cfg or {}).get('rpn'),
                            test_cfg=(test_cfg or {}).get('rpn'))
            self.rpn_head = MODELS.build(rpn_head)
        if roi_head is not None:
            roi_head = copy.deepcopy(dict(roi_head))
            roi_head.update(train_cfg=(train_cfg or {}).get('rcnn'),
                            test_cfg=(test_cfg or {}).get('rcnn'))
            self.roi_head = MODELS.build(roi_head)

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        x = self.backbone(inputs)
        return tuple(self.neck(x)) if self.neck is not None else tuple(x)

    def forward(self, inputs: Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], list, tuple]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def _forward(self, inputs: Tensor, data_samples: Optional[list] = None) -> tuple:
        feats = self.extract_feat(inputs)
        return feats, self.rpn_head(feats)

    def loss(self, inputs: Tensor, data_samples: list) -> Dict[str, Tensor]:
        feats = self.extract_feat(inputs)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg['rpn'])
        rpn_losses, proposals = self.rpn_head.loss_and_predict(feats, data_samples,
                                                               proposal_cfg)
        losses = dict(rpn_losses)
        losses.update(self.roi_head.loss(feats, proposals, data_samples))
        return losses

    def predict(self, inputs: Tensor, data_samples: list, rescale: bool = True) -> list:
        feats = self.extract_feat(inputs)
        proposals = self.rpn_head.predict(feats, data_samples, rescale=False)
        results = self.roi_head.predict(feats, proposals, data_samples, rescale=rescale)
        for sample, result in zip(data_samples, results):
            sample.pred_instances = result
        return data_samples


@MODELS.register_module()
class MaskRCNN(TwoStageDetector):
    """Mask R-CNN (He et al., 2017)."""
