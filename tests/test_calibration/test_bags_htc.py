"""BAGS on a Hybrid Task Cascade (configs/bags/bags_htc_r50_fpn_20e_lvis_*.py, on the small
HTC of tests/data/mmdet_reference/htc_r18c16_fpn_small.pt): the configs' partial_load
fits an HTC stage-1 state dict, one SGD step (momentum, weight decay) changes the three
stages' fc_cls alone (the semantic branch frozen: no semantic loss even when the batch
has maps, and the step is the same without them, as the configs train), and the
scores are the group merge of the mean of the stages' logits on semantic-fused features."""
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData

from mmdet.calibration.bags import bags_groups, group_softmax_scores
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import register_all_modules
from mmdet.utils.checkpoint import load_state_dict, partial_load_of
from data_testing import load_reference
from detection_testing import cascade_train_cfg, make_batch

REPO = Path(__file__).resolve().parents[2]
BAGS_HTC = str(REPO / 'configs/bags/bags_htc_r50_fpn_20e_lvis_{}.py')
NUM_CLASSES = 8  # the reference HTC's
# groups (edges 10, 100, 1000): 1, 2, 3, 4, 1, 2, 2, 4
COUNTS = [3, 40, 700, 2500, 9, 10, 99, 1000]
FC_CLS = [f'roi_head.bbox_head.{i}.fc_cls' for i in range(3)]


def _is_trained(key: str) -> bool:
    return any(key.startswith(prefix + '.') for prefix in FC_CLS)


@pytest.fixture(scope='module')
def bags_htc():
    """The reference HTC as a BAGS stage-2 model: its weights loaded by the BAGS HTC
    config's partial_load, the three fc_cls re-initialised, counts given per stage."""
    register_all_modules()
    ref = load_reference('htc_r18c16_fpn_small.pt')
    cfg = Config.fromstring(ref['config'], '.py').model
    roi = cfg.roi_head
    assert roi.type == 'HybridTaskCascadeRoIHead' and roi.semantic_head is not None
    roi.bbox_head = [dict(head, type='BAGSBBoxHead') for head in roi.bbox_head]
    cfg.train_only = list(FC_CLS)
    cfg.train_cfg = cascade_train_cfg()
    cfg.test_cfg.rcnn.score_thr = 1e-4  # the LVIS configs' threshold
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    for version in ('v0.5', 'v1'):  # both configs allow exactly what an HTC lacks
        assert partial_load_of(Config.fromfile(BAGS_HTC.format(version))) == dict(
            allow_missing=['roi_head.bbox_head.*.train_instance_counts'],
            allow_reinit=['roi_head.bbox_head.*.fc_cls.*'])
    kwargs = partial_load_of(Config.fromfile(BAGS_HTC.format('v0.5')))
    missing, unexpected, mismatched = load_state_dict(model, ref['state_dict'], **kwargs)
    assert missing == [f'roi_head.bbox_head.{i}.train_instance_counts' for i in range(3)]
    assert not unexpected
    assert sorted(m.split(':')[0] for m in mismatched) == sorted(
        f'{p}.{n}' for p in FC_CLS for n in ('weight', 'bias'))
    for head in model.roi_head.bbox_head:
        assert head.fc_cls.out_features == 2 + NUM_CLASSES + 4
        head.receive_train_counts(COUNTS)
    return model


def _batch(model, seed, with_maps):
    data = model.data_preprocessor(make_batch(num_classes=NUM_CLASSES, seed=seed),
                                   training=True)
    if with_maps:  # semantic maps of the padded batch (11 stuff classes, 255 unlabelled)
        gen = torch.Generator().manual_seed(seed)
        h, w = data['inputs'].shape[-2:]
        for sample in data['data_samples']:
            sem = torch.randint(0, 11, (1, h, w), generator=gen)
            sem[:, :h // 4] = 255
            sample.gt_sem_seg = PixelData(sem_seg=sem)
    return data


def _sgd_step(model, data):
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(1)  # the samplers' draws
    losses = model(**data, mode='loss')
    optimizer.zero_grad()
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optimizer.step()
    return losses


def test_one_step_trains_the_three_fc_cls_alone(bags_htc):
    model = copy.deepcopy(bags_htc)
    assert [n for n, p in model.named_parameters() if p.requires_grad] == [
        f'{p}.{n}' for p in FC_CLS for n in ('weight', 'bias')]
    assert not model.trains('roi_head.semantic_head') and not model.roi_head.train_mask
    assert not model.roi_head.train_semantic
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    without_maps = copy.deepcopy(model)
    losses = _sgd_step(model, _batch(model, seed=5, with_maps=True))
    assert not any('loss_mask' in k or 'loss_rpn' in k for k in losses)
    assert all(f's{s}.loss_cls' in losses for s in range(3))
    assert 'loss_semantic_seg' not in losses  # the frozen semantic head: no loss
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]) != _is_trained(key), key
    other = _sgd_step(without_maps, _batch(without_maps, seed=5, with_maps=False))
    assert 'loss_semantic_seg' not in other
    after = model.state_dict()
    for key, value in without_maps.state_dict().items():
        assert torch.equal(value, after[key]), key


def test_scores_merge_the_mean_of_the_stages_logits(bags_htc):
    model = copy.deepcopy(bags_htc).eval()
    with torch.no_grad():
        data = model.data_preprocessor(make_batch(num_classes=NUM_CLASSES, seed=6), False)
        feats = model.roi_features(model.extract_feat(data['inputs']))
        feats = model.roi_head.prepare_features(feats)  # the semantic features fused
        assert feats.semantic is not None
        metas = [s.metainfo for s in data['data_samples']]
        proposals = model.rpn_head.predict(feats, data['data_samples'], rescale=False)
        rois = bbox2roi([p.bboxes for p in proposals])
        _, out = model.roi_head.roi_outputs(feats, rois, metas)
        scores = model.roi_head.score_rois(out)['pred_instances']
        _, unfused = model.roi_head.roi_outputs(tuple(feats), rois, metas)
    assert len(out['stage_logits']) == 3
    assert not torch.equal(out['cls_score'], unfused['cls_score'])
    mean = sum(out['stage_logits']) / 3
    assert torch.equal(scores, group_softmax_scores(mean, bags_groups(COUNTS)))
    assert scores.shape == (rois.shape[0], NUM_CLASSES + 1)

    with torch.no_grad():
        data = model.data_preprocessor(make_batch(num_classes=NUM_CLASSES, seed=6), False)
        results = model(**data, mode='predict')
    assert sum(len(r.pred_instances) for r in results) > 0
    for result in results:
        pred = result.pred_instances
        assert pred.labels.dtype == torch.long
        assert bool(((pred.labels >= 0) & (pred.labels < NUM_CLASSES)).all())
        assert bool(((pred.scores > 0) & (pred.scores <= 1)).all())
