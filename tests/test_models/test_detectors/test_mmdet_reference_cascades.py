"""Cascade Mask R-CNN and Hybrid Task Cascade against mmdetection 3.3
(tests/data/mmdet_reference/cascade_mask_rcnn_r18c16_fpn_small.pt and
htc_r18c16_fpn_small.pt: three stages; HTC with interleaved heads, mask information flow
and the fused semantic branch): the same detections, labels and masks from their
weights; the fast inference path against the plain one; their training steps."""
import copy

import pytest
import torch
from mmengine.config import Config

import mmdet.models  # noqa: F401
from mmdet.models.layers import unfolded_norms
from mmdet.registry import MODELS
from data_testing import load_reference, rle_to_masks
from detection_testing import cascade_train_cfg, make_batch, predict_reference

# The file README's tolerances (scores 1e-4, masks within 5 pixels, boxes 1e-3 px), but
# the cascade's boxes to 2e-3 px: three refinements amplify kernel rounding, and
# mmdetection 3.3 itself, re-run on an Intel CPU, lands 1.05e-3 px from the stored boxes
# (exactly where this code lands: the same numbers as mmdetection there).
REFERENCES = {'cascade': ('cascade_mask_rcnn_r18c16_fpn_small.pt', 2e-3),
              'htc': ('htc_r18c16_fpn_small.pt', 1e-3)}
SCORE_ATOL, MAX_MASK_FLIPS = 1e-4, 5


@pytest.fixture(scope='module', params=sorted(REFERENCES))
def reference(request):
    name, box_atol = REFERENCES[request.param]
    ref = load_reference(name)
    model = MODELS.build(Config.fromstring(ref['config'], '.py').model)
    model.load_state_dict(ref['state_dict'], strict=True)
    return ref, model.eval(), box_atol


@pytest.fixture(scope='module')
def htc_model():
    ref = load_reference(REFERENCES['htc'][0])
    return MODELS.build(Config.fromstring(ref['config'], '.py').model).eval()


def test_detections_and_masks_equal_mmdetections(reference):
    ref, model, box_atol = reference
    with unfolded_norms():  # mmdetection's conv-then-BN: the same numbers
        preds = predict_reference(model, ref)
    for i, (pred, det, meta) in enumerate(zip(preds, ref['detections'], ref['metainfo'])):
        assert torch.equal(pred.labels, det['labels']), f'image {i}: labels'
        assert (pred.bboxes - det['bboxes']).abs().max() <= box_atol, f'image {i}: boxes'
        assert (pred.scores - det['scores']).abs().max() <= SCORE_ATOL, f'image {i}: scores'
        flips = (pred.masks.to_bitmap() != rle_to_masks(det['masks'], meta['ori_shape'])).sum()
        assert flips <= MAX_MASK_FLIPS, f'image {i}: {flips} mask pixels differ'


def test_fast_inference_path_matches_the_plain_one(reference):
    ref, model, _ = reference
    with unfolded_norms():
        plain = predict_reference(model, ref)
    fast = predict_reference(copy.deepcopy(model).prepare_for_inference(), ref)  # folded BN
    for ours, theirs in zip(fast, plain):
        assert torch.equal(ours.labels, theirs.labels)
        # three refinements amplify the folded BN's rounding (measured: up to 0.022 px)
        assert (ours.bboxes - theirs.bboxes).abs().max() <= 0.05
        assert (ours.scores - theirs.scores).abs().max() <= 5e-4
        assert (ours.masks.to_bitmap() != theirs.masks.to_bitmap()).sum() <= 20


@pytest.mark.parametrize('name', sorted(REFERENCES))
def test_training_step_of_every_stage(name):
    from mmengine.structures import PixelData
    cfg = Config.fromstring(load_reference(REFERENCES[name][0])['config'], '.py').model
    cfg.train_cfg = cascade_train_cfg()
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(make_batch(num_classes=8), training=True)
    if name == 'htc':  # semantic maps of the padded batch (11 stuff classes, 255 unlabelled)
        h, w = data['inputs'].shape[-2:]
        for sample in data['data_samples']:
            sem = torch.randint(0, 11, (1, h, w))
            sem[:, :h // 4] = 255
            sample.gt_sem_seg = PixelData(sem_seg=sem)
    losses = model(**data, mode='loss')
    for s in range(3):
        for key in ('loss_cls', 'loss_bbox', 'loss_mask', 'acc'):
            assert f's{s}.{key}' in losses, f's{s}.{key}'
    assert ('loss_semantic_seg' in losses) == (name == 'htc')
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for s in range(3):
        assert model.roi_head.bbox_head[s].fc_cls.weight.grad.abs().sum() > 0
        assert model.roi_head.mask_head[s].conv_logits.weight.grad.abs().sum() > 0
    if name == 'htc':
        head = model.roi_head
        assert head.semantic_head.conv_logits.weight.grad.abs().sum() > 0
        assert head.mask_head[1].conv_res.conv.weight.grad.abs().sum() > 0  # information flow


def test_next_stage_proposals_drop_the_added_ground_truth():
    from mmdet.models.task_modules import AssignResult, SamplingResult
    box_head = dict(type='Shared2FCBBoxHead', in_channels=4, fc_out_channels=8,
                    roi_feat_size=2, num_classes=3, reg_class_agnostic=False)
    roi_head = MODELS.build(dict(
        type='CascadeRoIHead', num_stages=2, stage_loss_weights=[1, 0.5],
        bbox_roi_extractor=dict(type='SingleRoIExtractor', out_channels=4,
                                roi_layer=dict(type='RoIAlign', output_size=2,
                                               sampling_ratio=0),
                                featmap_strides=[4]),
        bbox_head=[box_head, box_head]))
    gt = torch.tensor([[10., 10., 30., 30.]])
    priors = torch.tensor([[10., 10., 30., 30.], [12., 10., 30., 31.], [40., 40., 60., 60.]])
    assign = AssignResult(1, torch.tensor([1, 1, 0]), torch.tensor([1., .8, 0.]),
                          labels=torch.tensor([2, 2, -1]))
    sampling = SamplingResult(torch.tensor([0, 1]), torch.tensor([2]), priors, gt, assign,
                              torch.tensor([1, 0, 0], dtype=torch.uint8))
    rois = torch.cat([torch.zeros(3, 1), priors], 1)
    deltas = torch.zeros(3, 12)
    deltas[:, 8:] = 0.5  # class 2's deltas move the box; the others keep it
    cls_score = torch.tensor([[0., 0., 0., 5.], [0., 0., 0., 5.], [0., 9., 0., 5.]])
    out = dict(cls_score=cls_score, bbox_pred=deltas)
    metas = [dict(img_shape=(100, 100))]
    (proposals, ) = roi_head.refine_proposals([sampling], rois, out, metas, stage=0)
    # the gt box added as a proposal is gone; the other positive moved by its gt class
    # (2), the negative kept by its argmax foreground class (1: zero deltas)
    assert proposals.bboxes.shape == (2, 4)
    assert not torch.allclose(proposals.bboxes[0], priors[1])
    torch.testing.assert_close(proposals.bboxes[1], priors[2])


def test_semantic_loss_ignores_unlabelled_pixels(htc_model):
    head = htc_model.roi_head.semantic_head
    logits = torch.randn(1, head.num_classes, 4, 4)
    labels = torch.full((1, 32, 32), 255, dtype=torch.long)  # unlabelled ...
    labels[0, :8, :8] = 3  # ... but one 8x8 block (one pixel at 1/8 scale)
    loss = head.loss(logits, labels)
    expected = torch.nn.functional.cross_entropy(logits[:, :, 0, 0], torch.tensor([3]))
    torch.testing.assert_close(loss, head.loss_weight * expected)


def test_one_htc_mask_head_config_builds_mmdetections_three():
    """mask_head=dict(type='HTCMaskHead', ...) for all stages: conv_res where the flow
    feeds it, the same weights as mmdetection's per-stage list."""
    ref = load_reference(REFERENCES['htc'][0])
    cfg = Config.fromstring(ref['config'], '.py').model
    heads = cfg.roi_head.mask_head
    cfg.roi_head.mask_head = {k: v for k, v in heads[1].items() if k != 'with_conv_res'}
    model = MODELS.build(cfg)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == {
        k: tuple(v.shape) for k, v in ref['state_dict'].items()}
