"""Training in channels-last memory format (``channels_last=True``, set by the LVIS
configs) against the plain path: the same losses and gradients up to float rounding, for
Mask R-CNN and Cascade Mask R-CNN; loading weights keeps the format."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401  (registers the components)
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample, InstanceData

REPO = Path(__file__).resolve().parents[3]
CONFIGS = {'mask_rcnn': 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py',
           'cascade': 'configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py'}


def _batch(seed=0, num_classes=50):
    gen = torch.Generator().manual_seed(seed)
    inputs, samples = [], []
    for i in range(2):
        h, w = 96, 128
        inputs.append(torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen))
        wh = (0.2 + 0.5 * torch.rand(4, 2, generator=gen)) * torch.tensor([w, h])
        xy = torch.rand(4, 2, generator=gen) * (torch.tensor([w, h]) - wh)
        boxes = torch.cat([xy, xy + wh], 1)
        masks = torch.zeros(4, h, w, dtype=torch.uint8)
        for k, (x1, y1, x2, y2) in enumerate(boxes.round().int().tolist()):
            masks[k, y1:y2, x1:x2] = 1
        sample = DetDataSample(metainfo=dict(img_id=i, img_shape=(h, w), ori_shape=(h, w),
                                             scale_factor=(1.0, 1.0)))
        sample.gt_instances = InstanceData(
            bboxes=boxes, labels=torch.randint(0, num_classes, (4,), generator=gen),
            masks=masks)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def _step(model):
    torch.manual_seed(0)  # the RoI sampler's draws
    model.train()
    data = model.data_preprocessor(_batch(), True)
    losses = model(**data, mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    model.zero_grad()
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return {k: v.detach() for k, v in losses.items()}, grads


@pytest.mark.parametrize('name', sorted(CONFIGS))
def test_same_losses_and_gradients_as_the_plain_path(name):
    cfg = Config.fromfile(str(REPO / CONFIGS[name])).model
    torch.manual_seed(0)
    plain = MODELS.build(cfg)
    plain.init_weights()
    fast = MODELS.build(dict(cfg, channels_last=True))
    fast.load_state_dict(plain.state_dict())
    conv = fast.backbone.layer1[0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)  # kept by loading
    assert fast.channels_last and not plain.channels_last
    ours, ours_grads = _step(fast)
    theirs, their_grads = _step(plain)
    assert list(ours) == list(theirs)
    for key in theirs:
        torch.testing.assert_close(ours[key], theirs[key], rtol=1e-4, atol=1e-5)
    assert set(ours_grads) == set(their_grads) and len(ours_grads) > 50
    # float rounding (the summation order of the convolutions), amplified in a cascade's
    # last stages by RoIs refined from slightly different boxes: measured <= 6e-4
    for key, grad in their_grads.items():
        assert (ours_grads[key] - grad).norm() <= 2e-3 * grad.norm().clamp_min(1e-12), key
