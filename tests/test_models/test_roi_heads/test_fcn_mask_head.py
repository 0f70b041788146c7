"""The mask head's predicted-class-only logits equal the all-class ones (forward, loss
and gradients), for a fraction of the work."""
import torch

import mmdet.models  # noqa: F401
from mmdet.registry import MODELS


def build(num_classes=30):
    torch.manual_seed(0)
    head = MODELS.build(dict(type='FCNMaskHead', num_convs=2, in_channels=8,
                             conv_out_channels=8, num_classes=num_classes))
    head.init_weights()
    torch.nn.init.normal_(head.conv_logits.bias)
    return head


def test_label_channel_only_equals_all_channels():
    head = build()
    x = torch.randn(5, 8, 14, 14)
    labels = torch.tensor([3, 0, 29, 3, 17])
    full = head(x)
    own = head(x, labels)
    assert full.shape == (5, 30, 28, 28) and own.shape == (5, 1, 28, 28)
    torch.testing.assert_close(own[:, 0], full[torch.arange(5), labels], rtol=1e-5,
                               atol=1e-5)


def test_loss_and_gradients_match():
    from mmengine.structures import InstanceData
    head_full, head_own = build(), build()
    x = torch.randn(4, 8, 14, 14)
    labels = torch.tensor([1, 5, 5, 9])
    gt = InstanceData(masks=(torch.rand(2, 40, 40) > 0.5).to(torch.uint8))
    res = InstanceData(pos_priors=torch.tensor([[0., 0, 20, 20], [5, 5, 30, 35],
                                                [10, 0, 40, 40], [0, 10, 25, 40]]),
                       pos_gt_inds=torch.tensor([0, 1, 1, 0]), pos_gt_labels=labels)
    loss_full = head_full.loss(head_full(x), [res], [gt])['loss_mask']
    loss_own = head_own.loss(head_own(x, labels), [res], [gt])['loss_mask']
    torch.testing.assert_close(loss_own, loss_full)
    loss_full.backward()
    loss_own.backward()
    for (name, p_full), p_own in zip(head_full.named_parameters(), head_own.parameters()):
        torch.testing.assert_close(p_own.grad, p_full.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_class_agnostic_ignores_labels():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='FCNMaskHead', num_convs=1, in_channels=8,
                             conv_out_channels=8, num_classes=30, class_agnostic=True))
    x = torch.randn(2, 8, 14, 14)
    torch.testing.assert_close(head(x, torch.tensor([4, 7])), head(x))
