"""Hybrid Task Cascade against mmdetection 3.3 (tests/data/mmdet_reference/
htc_r18c16_fpn_small.pt: interleaved heads with mask information flow and the fused
semantic branch): the same detections, labels and masks from its weights; the fast
inference path against the plain one; the semantic head's loss."""
import copy

import pytest
import torch
from mmengine.config import Config

from mmdet.models.layers import unfolded_norms
from mmdet.registry import MODELS
from data_testing import load_reference, rle_to_masks
from detection_testing import predict_reference

BOX_ATOL, SCORE_ATOL, MAX_MASK_FLIPS = 1e-3, 1e-4, 5  # the file README's tolerances


@pytest.fixture(scope='module')
def htc():
    return load_reference('htc_r18c16_fpn_small.pt')


@pytest.fixture(scope='module')
def model(htc):
    model = MODELS.build(Config.fromstring(htc['config'], '.py').model)
    model.load_state_dict(htc['state_dict'], strict=True)
    return model.eval()


def test_detections_and_masks_equal_mmdetections(model, htc):
    with unfolded_norms():  # mmdetection's conv-then-BN
        preds = predict_reference(model, htc)
    for i, (pred, ref, meta) in enumerate(zip(preds, htc['detections'], htc['metainfo'])):
        assert torch.equal(pred.labels, ref['labels']), f'image {i}: labels'
        assert (pred.bboxes - ref['bboxes']).abs().max() <= BOX_ATOL, f'image {i}: boxes'
        assert (pred.scores - ref['scores']).abs().max() <= SCORE_ATOL, f'image {i}: scores'
        flips = (pred.masks.to_bitmap() != rle_to_masks(ref['masks'], meta['ori_shape'])).sum()
        assert flips <= MAX_MASK_FLIPS, f'image {i}: {flips} mask pixels differ'


def test_fast_inference_path_matches_the_plain_one(model, htc):
    with unfolded_norms():
        plain = predict_reference(model, htc)
    fast = predict_reference(copy.deepcopy(model).prepare_for_inference(), htc)
    for ours, theirs in zip(fast, plain):
        assert torch.equal(ours.labels, theirs.labels)
        assert (ours.bboxes - theirs.bboxes).abs().max() <= 0.05
        assert (ours.scores - theirs.scores).abs().max() <= 5e-4
        assert (ours.masks.to_bitmap() != theirs.masks.to_bitmap()).sum() <= 20


def test_semantic_loss_ignores_unlabelled_pixels(model):
    head = model.roi_head.semantic_head
    logits = torch.randn(1, head.num_classes, 4, 4)
    labels = torch.full((1, 32, 32), 255, dtype=torch.long)  # unlabelled ...
    labels[0, :8, :8] = 3  # ... but one 8x8 block (one pixel at 1/8 scale)
    loss = head.loss(logits, labels)
    expected = torch.nn.functional.cross_entropy(logits[:, :, 0, 0], torch.tensor([3]))
    torch.testing.assert_close(loss, head.loss_weight * expected)


def test_training_is_a_clear_error_until_implemented(htc):
    cfg = Config.fromstring(htc['config'], '.py').model
    cfg.train_cfg = None
    model = MODELS.build(cfg)
    with pytest.raises(NotImplementedError, match='training HybridTaskCascadeRoIHead'):
        model.roi_head.loss(None, None, None)
