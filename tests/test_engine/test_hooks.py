"""PrepareInferenceHook applies the exact inference speed-ups to the (wrapped) model."""
from pathlib import Path
from types import SimpleNamespace

import torch
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

import mmdet.models  # noqa: F401
from mmdet.engine.hooks import PrepareInferenceHook
from mmdet.registry import MODELS

CONFIG = Path(__file__).resolve().parents[2] / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def test_prepare_inference_hook_folds_and_converts():
    model = MODELS.build(Config.fromfile(str(CONFIG)).model)
    model.train()
    PrepareInferenceHook(fold_norms=True, channels_last=True).before_test(
        SimpleNamespace(model=model))
    assert not model.training and model.channels_last
    assert not any(isinstance(m, _BatchNorm) for m in model.backbone.modules())
    assert model.backbone.conv1.weight.is_contiguous(memory_format=torch.channels_last)


def test_prepare_inference_hook_can_do_nothing():
    model = MODELS.build(Config.fromfile(str(CONFIG)).model).eval()
    PrepareInferenceHook(fold_norms=False, channels_last=False).before_test(
        SimpleNamespace(model=model))
    assert not model.channels_last
    assert any(isinstance(m, _BatchNorm) for m in model.backbone.modules())
