"""Two-stage detectors: backbone, neck, RPN and RoI head (mmdetection's layout)."""
import copy
import re
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModel
from torch import Tensor

from mmdet.models.dense_heads.rpn_head import PROPOSAL_KEYS
from mmdet.models.layers.roi_align_nhwc import supports_nhwc
from mmdet.registry import MODELS
from mmdet.utils.config_keys import check_keys


@MODELS.register_module()
class TwoStageDetector(BaseModel):
    """``forward(inputs, data_samples, mode)`` with mode ``'loss'`` (dict of losses),
    ``'predict'`` (samples with ``pred_instances``) or ``'tensor'`` (raw head outputs).

    ``channels_last=True`` runs the convolutions (backbone, neck, RPN, mask head) in
    channels-last memory format in training too (oneDNN's CPU convolutions, and cuDNN's
    with AMP, are faster on NHWC tensors; the LVIS configs set it): the same losses and
    gradients up to float rounding. Testing always uses it (``prepare_for_inference``).

    ``train_only`` (parameter-name prefixes, e.g. ``['roi_head.bbox_head.fc_cls']``)
    trains those parameters alone: every other one is frozen (no gradient, modules
    without trainable parameters kept in eval mode, so BatchNorm statistics stay too),
    and a frozen RPN, mask head or semantic head computes no loss (the RPN only
    proposes), nor the box regression when only classifiers (``fc_cls``) learn.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None,
                 roi_head: Optional[dict] = None,
                 train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 channels_last: bool = False,
                 train_only: Optional[Sequence[str]] = None):
        # Built from our registry: mmengine's own would not know our types.
        preprocessor = MODELS.build(data_preprocessor or dict(type='DetDataPreprocessor'))
        super().__init__(data_preprocessor=preprocessor, init_cfg=init_cfg)
        check_keys(train_cfg, ('rpn', 'rpn_proposal', 'rcnn'), 'model.train_cfg')
        check_keys(test_cfg, ('rpn', 'rcnn'), 'model.test_cfg')
        check_keys((train_cfg or {}).get('rpn_proposal'), PROPOSAL_KEYS,
                   'model.train_cfg.rpn_proposal')
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
        if channels_last:
            self.to_channels_last()
        self.train_only = tuple(train_only or ())
        if self.train_only:
            self._freeze_all_but(self.train_only)

    def _freeze_all_but(self, prefixes: Sequence[str]) -> None:
        names = [name for name, _ in self.named_parameters()]
        for prefix in prefixes:
            if not any(_under(name, prefix) for name in names):
                raise KeyError(f'model.train_only: no parameter is named {prefix!r} or '
                               f'{prefix}.* (e.g. {names[-1]!r})')
        for name, param in self.named_parameters():
            param.requires_grad_(any(_under(name, p) for p in prefixes))
        self.rpn_frozen = not self.trains('rpn_head')
        # only classifiers learn: the box regression's loss would be a constant
        regression_trains = any(p.requires_grad for name, p in self.named_parameters()
                                if not re.search(r'bbox_head\.(\d+\.)?fc_cls\.', name))
        for module in self.modules():
            if hasattr(module, 'train_reg'):
                module.train_reg = regression_trains
        if hasattr(self, 'roi_head'):
            self.roi_head.train_mask = self.trains('roi_head.mask_head')
            self.roi_head.train_semantic = self.trains('roi_head.semantic_head')

    def trains(self, prefix: str) -> bool:
        """Whether any parameter under ``prefix`` learns."""
        return any(p.requires_grad for name, p in self.named_parameters()
                   if _under(name, prefix))

    def train(self, mode: bool = True) -> 'TwoStageDetector':
        super().train(mode)
        if mode and self.train_only:  # frozen parts stay in eval mode
            for name, module in self.named_modules():
                if name and not any(_under(name, p) or _under(p, name)
                                    for p in self.train_only):
                    module.eval()
        return self

    channels_last: bool = False  # set by to_channels_last (and prepare_for_inference)
    rpn_frozen: bool = False  # set by train_only: the RPN only proposes, no loss

    def to_channels_last(self) -> 'TwoStageDetector':
        """Convolution weights (backbone, neck, RPN, mask head) in channels-last memory
        format, and the input batch converted to it in ``extract_feat``; the RoI
        extractors read the maps as they are (``roi_features``). Loading weights keeps
        the format."""
        for name in ('backbone', 'neck', 'rpn_head'):
            if getattr(self, name, None) is not None:
                getattr(self, name).to(memory_format=torch.channels_last)
        mask_head = getattr(getattr(self, 'roi_head', None), 'mask_head', None)
        if mask_head is not None:
            mask_head.to(memory_format=torch.channels_last)
        self.channels_last = True
        return self

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        if self.channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        x = self.backbone(inputs)
        return tuple(self.neck(x)) if self.neck is not None else tuple(x)

    def prepare_for_inference(self, fold_norms: bool = True, channels_last: bool = True
                              ) -> 'TwoStageDetector':
        """Exact inference speed-ups, applied once after the weights are loaded: fold
        the backbone's BatchNorms into its convs (the model can no longer be trained or
        saved as a normal checkpoint) and run the convolutions (backbone, neck, RPN,
        mask head) in channels-last memory format. Outputs stay equal up to float
        rounding. ``tools/test.py``, ``PrepareInferenceHook`` and ``init_detector``
        apply both by default."""
        if self.training:
            raise RuntimeError('prepare_for_inference() needs the model in eval mode')
        if fold_norms and hasattr(self.backbone, 'fold_norms'):
            self.backbone.fold_norms()
        if channels_last:  # oneDNN's convs (CPU) are faster on NHWC tensors
            self.to_channels_last()
        return self

    def check_inference_ready(self) -> None:
        """What the RoI head's inference modes need (checked before the first image)."""
        if getattr(self, 'roi_head', None) is not None:
            self.roi_head.check_inference_ready()

    def val_step(self, data) -> list:
        with torch.inference_mode():
            return super().val_step(data)

    def test_step(self, data) -> list:
        with torch.inference_mode():
            return super().test_step(data)

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
        proposal_cfg = self.train_cfg.get('rpn_proposal') or self.test_cfg['rpn']
        if self.rpn_frozen:
            with torch.no_grad():
                proposals = self.rpn_head.predict_by_feat(
                    *self.rpn_head(feats), [s.metainfo for s in data_samples],
                    proposal_cfg, rescale=False)
            losses = {}
        else:
            rpn_losses, proposals = self.rpn_head.loss_and_predict(feats, data_samples,
                                                                   proposal_cfg)
            losses = dict(rpn_losses)
        losses.update(self.roi_head.loss(self.roi_features(feats), proposals, data_samples))
        return losses

    def predict(self, inputs: Tensor, data_samples: list, rescale: bool = True) -> list:
        """Sets each sample's ``pred_instances`` (boxes, scores, labels and, with a mask
        head, :class:`~mmdet.structures.RoIMasks`) and any other field the RoI head
        predicts (see ``StandardRoIHead.predict_outputs``)."""
        feats = self.extract_feat(inputs)
        proposals = self.rpn_head.predict(feats, data_samples, rescale=False)
        outputs = self.roi_head.predict_outputs(self.roi_features(feats), proposals,
                                                data_samples, rescale=rescale)
        for field, results in outputs.items():
            for sample, result in zip(data_samples, results):
                sample.set_field(result, field)
        return data_samples

    def roi_features(self, feats: Tuple[Tensor, ...]) -> Tuple[Tensor, ...]:
        """The feature maps as the RoI head reads them: as they are where the RoI
        extractor reads channels-last maps in place (float32 on the CPU), else NCHW
        (channels-last maps converted once per level for torchvision's RoIAlign)."""
        if self.channels_last and not all(supports_nhwc(f) for f in feats):
            return tuple(f.contiguous() for f in feats)
        return feats


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + '.')


@MODELS.register_module()
class MaskRCNN(TwoStageDetector):
    """Mask R-CNN (He et al., 2017)."""


@MODELS.register_module()
class CascadeRCNN(TwoStageDetector):
    """Cascade R-CNN / Cascade Mask R-CNN (Cai & Vasconcelos, 2018), with a
    ``CascadeRoIHead``."""


@MODELS.register_module()
class HybridTaskCascade(CascadeRCNN):
    """Hybrid Task Cascade (Chen et al., 2019), with a ``HybridTaskCascadeRoIHead``."""
