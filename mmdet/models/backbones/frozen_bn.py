"""A BatchNorm with fixed statistics and affine parameters (``norm_cfg=dict(type='FrozenBN')``)."""
import torch.nn.functional as F
from mmengine.registry import MODELS as MMENGINE_MODELS
from torch import Tensor, nn

from mmdet.registry import MODELS


@MODELS.register_module('FrozenBN')
class FrozenBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d that always normalises with its running statistics and never learns.

    ``weight`` and ``bias`` are buffers, not parameters, so no optimizer or
    ``requires_grad`` setting can change them. The state-dict keys are those of
    ``nn.BatchNorm2d`` (``num_batches_tracked`` included), so BN checkpoints, e.g.
    torchvision's or mmdetection's, load as they are. It subclasses ``_BatchNorm``:
    mmcv names it ``bn{postfix}`` and ``norm_eval`` logic treats it as a BN.
    """

    always_uses_running_stats = True  # in train mode too (see layers.fold_norm)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 affine: bool = True, track_running_stats: bool = True, **kwargs) -> None:
        if not (affine and track_running_stats):
            raise ValueError('FrozenBN needs affine=True and track_running_stats=True')
        super().__init__(num_features, eps=eps, momentum=momentum, **kwargs)
        weight, bias = self.weight.detach().clone(), self.bias.detach().clone()
        del self.weight, self.bias
        self.register_buffer('weight', weight)
        self.register_buffer('bias', bias)

    def forward(self, x: Tensor) -> Tensor:
        # Same call as nn.BatchNorm2d in eval mode, so the outputs are bit-identical.
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            False, 0.0, self.eps)


# mmcv's build_norm_layer looks types up in the registry of the current default scope,
# or mmengine's root registry when none is set: make 'FrozenBN' resolvable in both.
if MMENGINE_MODELS.get('FrozenBN') is None:
    MMENGINE_MODELS.register_module('FrozenBN', module=FrozenBatchNorm2d)
