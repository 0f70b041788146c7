"""Anchors and box decoding against mmdetection 3.3's stored outputs (bit-exact)."""
import pytest
import torch

from mmdet.models.task_modules import AnchorGenerator, DeltaXYWHBBoxCoder

torchvision = pytest.importorskip('torchvision')


@pytest.fixture(scope='module')
def ref(mmdet_reference):
    """The mmdetection 3.3 fixture, loaded once per session by ``tests/conftest.py``."""
    return mmdet_reference


def test_anchors_bit_exact(ref):
    gen = AnchorGenerator(strides=[4, 8, 16, 32, 64], ratios=[0.5, 1.0, 2.0], scales=[8])
    anchors = gen.grid_priors([s.shape[-2:] for s in ref['rpn_cls_scores']])
    for mine, theirs in zip(anchors, ref['anchors']):
        assert torch.equal(mine, theirs)


def test_rpn_proposals_bit_exact(ref):
    coder = DeltaXYWHBBoxCoder()
    for i, meta in enumerate(ref['metainfo']):
        boxes, scores, levels = [], [], []
        for lvl, (cls, reg, anchors) in enumerate(
                zip(ref['rpn_cls_scores'], ref['rpn_bbox_preds'], ref['anchors'])):
            score = cls[i].permute(1, 2, 0).reshape(-1).sigmoid()
            delta = reg[i].permute(1, 2, 0).reshape(-1, 4)
            if score.numel() > 1000:
                score, keep = score.topk(1000)
                delta, anchors = delta[keep], anchors[keep]
            box = coder.decode(anchors, delta, max_shape=meta['img_shape'])
            ok = (box[:, 2] > box[:, 0]) & (box[:, 3] > box[:, 1])
            boxes.append(box[ok])
            scores.append(score[ok])
            levels.append(torch.full((int(ok.sum()), ), lvl))
        boxes, scores, levels = torch.cat(boxes), torch.cat(scores), torch.cat(levels)
        keep = torchvision.ops.batched_nms(boxes, scores, levels, 0.7)[:1000]
        assert torch.equal(boxes[keep], ref['proposals'][i]['bboxes'])
        assert torch.equal(scores[keep], ref['proposals'][i]['scores'])


def test_class_wise_detections_bit_exact(ref):
    coder = DeltaXYWHBBoxCoder(target_stds=[0.1, 0.1, 0.2, 0.2])
    res = ref['roi_bbox_results_on_proposals']
    for i, meta in enumerate(ref['metainfo']):
        m = res['rois'][:, 0] == i
        boxes = coder.decode(res['rois'][m, 1:], res['bbox_pred'][m],
                             max_shape=meta['img_shape']).view(-1, 8, 4)
        scores = res['cls_score'][m].softmax(-1)[:, :8]
        labels = torch.arange(8).expand_as(scores)
        valid = scores > 0.05
        boxes, scores, labels = boxes[valid], scores[valid], labels[valid]
        keep = torchvision.ops.batched_nms(boxes, scores, labels, 0.5)[:100]
        det = ref['detections'][i]
        assert torch.equal(boxes[keep], det['bboxes'])
        assert torch.equal(labels[keep], det['labels'])
