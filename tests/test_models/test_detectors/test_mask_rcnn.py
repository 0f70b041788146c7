"""Forward/backward of a tiny Mask R-CNN on the CPU, class-wise and class-agnostic."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401
from mmdet.registry import MODELS
from detection_testing import make_batch
from mmdet.structures import InstanceData
from mmdet.structures import RoIMasks
from mmdet.structures.rle import encode_rle

CONFIG = Path(__file__).resolve().parents[3] / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def build(agnostic=False):
    cfg = Config.fromfile(str(CONFIG))
    if agnostic:
        cfg.model.roi_head.bbox_head.reg_class_agnostic = True
        cfg.model.roi_head.mask_head.class_agnostic = True
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


@pytest.mark.parametrize('agnostic', [False, True])
def test_loss_backward_and_predict(agnostic):
    model = build(agnostic)
    model.train()
    data = model.data_preprocessor(make_batch(), training=True)
    losses = model(**data, mode='loss')
    expected = {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox', 'acc', 'loss_mask'}
    assert expected <= set(losses)
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total) and total > 0
    total.backward()
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
    assert frozen and all(n.startswith(('backbone.conv1', 'backbone.bn1', 'backbone.layer1'))
                          for n in frozen)
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
    assert not no_grad, f'parameters without gradient: {no_grad}'

    model.eval()
    with torch.no_grad():
        results = model.test_step(make_batch(seed=1))
    for sample in results:
        pred = sample.pred_instances
        h, w = sample.ori_shape
        assert pred.bboxes.shape[1] == 4 and isinstance(pred.masks, RoIMasks)
        assert pred.masks.to_bitmap().shape == (len(pred), h, w)
        assert len(pred) <= model.test_cfg['rcnn']['max_per_img']
        if len(pred):
            assert pred.labels.max() < 8 and (pred.scores > 0.05).all()
            assert (pred.bboxes[:, 2] <= w).all() and (pred.bboxes[:, 3] <= h).all()


def test_images_without_objects_train():
    model = build()
    model.train()
    batch = make_batch()
    empty = InstanceData(bboxes=torch.zeros(0, 4), labels=torch.zeros(0, dtype=torch.long),
                         masks=torch.zeros(0, 96, 128, dtype=torch.uint8))
    batch['data_samples'][0].gt_instances = empty
    data = model.data_preprocessor(batch, training=True)
    losses = model(**data, mode='loss')
    total = sum(v for k, v in losses.items() if k.startswith('loss'))
    assert torch.isfinite(total)
    total.backward()


def test_rescale_maps_back_to_original_size():
    model = build().eval()
    batch = make_batch(sizes=((96, 128),))
    sample = batch['data_samples'][0]
    sample.set_metainfo(dict(ori_shape=(48, 64), scale_factor=(2.0, 2.0)))
    model.test_cfg['rcnn']['score_thr'] = 0.0
    with torch.no_grad():
        pred = model.test_step(batch)[0].pred_instances
    bitmaps = pred.masks.to_bitmap()
    assert bitmaps.shape[1:] == (48, 64)
    assert (pred.bboxes[:, 2] <= 64 + 1e-4).all() and (pred.bboxes[:, 3] <= 48 + 1e-4).all()
    assert torch.equal(pred.masks.boxes, pred.bboxes)  # masks cover the rescaled boxes
    # the same masks as RLEs of the original image size
    rles = pred.masks.to_rle()
    assert len(rles) == len(pred) > 0 and all(r['size'] == [48, 64] for r in rles)
    assert rles == encode_rle(bitmaps)


def test_wrong_image_shape_or_dtype_is_explained():
    model = build().eval()
    batch = make_batch()
    batch['inputs'][0] = batch['inputs'][0].permute(1, 2, 0)  # HWC instead of CHW
    with pytest.raises(ValueError, match=r'inputs\[0\] must have shape \(3, H, W\)'):
        model.data_preprocessor(batch)
    batch = make_batch()
    batch['inputs'][1] = batch['inputs'][1].to(torch.int32)
    with pytest.raises(TypeError, match=r'inputs\[1\] must be uint8 or floating point'):
        model.data_preprocessor(batch)
