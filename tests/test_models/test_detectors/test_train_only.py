"""``model.train_only``: the named parameters learn, everything else is frozen (no
gradient, eval mode under ``model.train()``), and a frozen RPN or mask head gives no
loss."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from torch import nn

from detection_testing import make_batch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

register_all_modules()

TOY = Path(__file__).resolve().parents[3] / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
C = 8


def build(train_only=None, seed=0):
    cfg = Config.fromfile(str(TOY)).model
    cfg.roi_head.bbox_head.num_classes = C
    cfg.roi_head.mask_head.num_classes = C
    assert cfg.backbone.norm_eval is False  # the BNs would train without train_only
    if train_only is not None:
        cfg.train_only = train_only
    torch.manual_seed(seed)
    return MODELS.build(cfg)


def under(name, prefix):
    return name == prefix or name.startswith(prefix + '.')


def batch(model, seed=0):
    return model.data_preprocessor(make_batch(C, seed=seed), training=True)


def test_requires_grad_pattern():
    model = build(['roi_head.bbox_head'])
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('roi_head.bbox_head.') for n in trainable)
    assert trainable == [n for n, _ in model.named_parameters()
                         if n.startswith('roi_head.bbox_head.')]
    assert model.trains('roi_head.bbox_head') and model.trains('roi_head')
    assert not model.trains('rpn_head') and not model.trains('roi_head.mask_head')
    assert model.roi_head.train_mask is False
    # several prefixes, down to single parameters
    model = build(['roi_head.bbox_head.fc_cls.weight', 'neck.fpn_convs.0'])
    assert [n for n, p in model.named_parameters() if p.requires_grad] == [
        'neck.fpn_convs.0.conv.weight', 'neck.fpn_convs.0.conv.bias',
        'roi_head.bbox_head.fc_cls.weight']
    # without train_only everything learns
    model = build()
    assert all(p.requires_grad for p in model.parameters())
    assert model.roi_head.train_mask is True and model.train_only == ()


def test_frozen_modules_stay_in_eval_mode_under_train():
    plain = build().train()
    bns = [n for n, m in plain.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(dict(plain.named_modules())[n].training for n in bns)
    model = build(['roi_head.bbox_head'])
    for _ in range(2):  # also after eval() and train() again
        model.train()
        modules = dict(model.named_modules())
        assert model.training
        assert not any(modules[n].training for n in bns)
        for name, module in modules.items():
            if name and under(name, 'roi_head.bbox_head'):
                assert module.training, name
            elif name in ('', 'roi_head'):  # parents of a trained part
                assert module.training, name
            else:
                assert not module.training, name
        model.eval()
        assert not any(m.training for m in model.modules())


def test_batchnorm_statistics_do_not_move_in_a_training_forward():
    model = build(['roi_head.bbox_head']).train()
    before = {k: v.clone() for k, v in model.state_dict().items() if 'running_' in k}
    model(**batch(model), mode='loss')
    after = model.state_dict()
    assert before and all(torch.equal(v, after[k]) for k, v in before.items())
    plain = build().train()  # the control: a plain model's statistics do move
    before = {k: v.clone() for k, v in plain.state_dict().items() if 'running_' in k}
    plain(**batch(plain), mode='loss')
    assert any(not torch.equal(v, plain.state_dict()[k]) for k, v in before.items())


def test_unknown_prefix_is_a_key_error_naming_it():
    with pytest.raises(KeyError, match='roi_head.bbox_hed'):
        build(['roi_head.bbox_head', 'roi_head.bbox_hed'])
    with pytest.raises(KeyError, match="'roi_head.bbox'"):  # not a name boundary
        build(['roi_head.bbox'])


def test_losses_of_frozen_and_trained_heads():
    model = build(['roi_head.bbox_head']).train()
    losses = model(**batch(model), mode='loss')
    assert set(losses) == {'loss_cls', 'acc', 'loss_bbox'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == name.startswith('roi_head.bbox_head.'), name
    model = build(['roi_head.bbox_head.fc_cls']).train()  # the regression: no loss
    assert set(model(**batch(model), mode='loss')) == {'loss_cls', 'acc'}
    model = build(['roi_head.bbox_head', 'roi_head.mask_head']).train()
    losses = model(**batch(model), mode='loss')
    assert set(losses) == {'loss_cls', 'acc', 'loss_bbox', 'loss_mask'}
    assert losses['loss_mask'].requires_grad
    model = build(['rpn_head', 'roi_head.mask_head']).train()
    losses = model(**batch(model), mode='loss')
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_mask'} <= set(losses)
    plain = build().train()
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_mask', 'loss_cls'} <= set(
        plain(**batch(plain), mode='loss'))


def test_a_frozen_rpn_proposes_as_the_training_one():
    """The frozen RPN's proposals (no loss) equal those the plain path makes beside its
    losses, for the same weights."""
    frozen = build(['roi_head.bbox_head'], seed=3)
    plain = build(seed=3).eval()  # the frozen model's backbone runs in eval mode too
    data = batch(plain, seed=5)
    samples = data['data_samples']
    with torch.no_grad():
        feats = plain.extract_feat(data['inputs'])
        cfg = plain.train_cfg.get('rpn_proposal') or plain.test_cfg['rpn']
        _, expected = plain.rpn_head.loss_and_predict(feats, samples, cfg)
    seen = []
    original = frozen.roi_head.loss
    frozen.roi_head.loss = lambda f, proposals, s: seen.append(proposals) or original(
        f, proposals, s)
    frozen.train()(**data, mode='loss')
    assert len(seen) == 1
    for got, exp in zip(seen[0], expected):
        assert torch.allclose(got.bboxes, exp.bboxes, atol=1e-5)
        assert torch.allclose(got.scores, exp.scores, atol=1e-6)
