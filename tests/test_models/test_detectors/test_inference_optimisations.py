"""The exact inference speed-ups give the outputs of the plain path: predicted-class-only
mask logits, decoding only the boxes above the score threshold, folded BatchNorm,
channels-last backbone, inference mode and masks encoded to RLE from their box windows
(equal to encoding the full-size bitmaps)."""
import copy
from pathlib import Path

import torch
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

import mmdet.models  # noqa: F401
from detection_testing import make_batch
from mmdet.models.layers import multiclass_nms, nms_iou_threshold
from mmdet.registry import MODELS
from mmdet.structures.rle import encode_rle

CONFIG = Path(__file__).resolve().parents[3] / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def build():
    cfg = Config.fromfile(str(CONFIG))
    cfg.model.roi_head.bbox_head.num_classes = 40
    cfg.model.roi_head.mask_head.num_classes = 40
    cfg.model.test_cfg.rcnn.update(score_thr=0.02, max_per_img=100)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():  # non-trivial statistics, so that folding matters
            if isinstance(m, _BatchNorm):
                m.running_mean.normal_(0, 0.2, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.uniform_(0.5, 1.5, generator=gen)
                m.bias.normal_(0, 0.2, generator=gen)
        head = model.roi_head.bbox_head.fc_cls  # a peaked classifier
        head.weight.mul_(20)
    return model.eval()


def plain_path(model):
    """Patch the model back to the unoptimised computations."""
    roi_head, bbox_head = model.roi_head, model.roi_head.bbox_head
    full_mask_forward = roi_head.mask_forward
    roi_head.mask_forward = lambda feats, rois, labels=None: full_mask_forward(feats, rois)
    predict_by_feat = bbox_head.predict_by_feat

    def decode_all_then_nms(rois, cls_scores, bbox_preds, metas, cfg, rescale=False,
                            scores=None):
        results = predict_by_feat(rois, cls_scores, bbox_preds, metas, None,
                                  rescale=rescale, scores=scores)
        for res in results:
            boxes, scores_, labels, roi_inds = multiclass_nms(
                res.bboxes, res.scores, cfg['score_thr'], nms_iou_threshold(cfg['nms']),
                cfg['max_per_img'])
            del res.bboxes, res.scores
            res.bboxes, res.scores, res.labels, res.roi_inds = boxes, scores_, labels, roi_inds
        return results

    bbox_head.predict_by_feat = decode_all_then_nms
    return model


def run_both(fold_norms, channels_last):
    model = build()
    batch = make_batch(num_classes=40, sizes=((96, 128), (120, 100), (64, 64)))
    reference = plain_path(copy.deepcopy(model))
    with torch.no_grad():
        expected = reference.predict(**reference.data_preprocessor(copy.deepcopy(batch)))
    fast = copy.deepcopy(model).prepare_for_inference(fold_norms, channels_last)
    got = fast.test_step(copy.deepcopy(batch))
    assert sum(len(s.pred_instances) for s in expected) > 50  # many detections compared
    return fast, [s.pred_instances for s in expected], [s.pred_instances for s in got]


def test_head_optimisations_are_exact():
    """Class-only mask logits, decoding only candidates, RLE from windows and
    inference mode give the very same detections and masks."""
    _, expected, got = run_both(fold_norms=False, channels_last=False)
    for want, have in zip(expected, got):
        assert torch.is_inference(have.scores)
        assert torch.equal(have.labels, want.labels)
        torch.testing.assert_close(have.scores, want.scores, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(have.bboxes, want.bboxes, rtol=1e-6, atol=1e-4)
        assert have.masks.to_rle() == encode_rle(want.masks.to_bitmap())


def test_folded_norms_and_channels_last_match_up_to_rounding():
    """Folding BN and channels-last change the float rounding of the features only: the
    same detections, scores and boxes to ~1e-6, and masks that differ at most in the odd
    pixel whose probability is within rounding of the 0.5 threshold."""
    fast, expected, got = run_both(fold_norms=True, channels_last=True)
    assert not any(isinstance(m, _BatchNorm) for m in fast.backbone.modules())
    for want, have in zip(expected, got):
        assert torch.equal(have.labels, want.labels)
        torch.testing.assert_close(have.scores, want.scores, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(have.bboxes, want.bboxes, rtol=1e-4, atol=1e-3)
        masks, wanted = have.masks.to_bitmap(), want.masks.to_bitmap()
        assert (masks != wanted).sum() <= 1e-5 * masks.numel()


def test_prepare_for_inference_needs_eval_mode():
    import pytest
    model = build().train()
    with pytest.raises(RuntimeError, match='eval mode'):
        model.prepare_for_inference()
