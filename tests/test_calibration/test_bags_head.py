"""The BAGS box head (group-softmax classifier): its layout, groups from the training
counts, scores and losses as the formulas of mmdet.calibration.bags, loading a stage-1
model, the runner's TrainCountsHook, and one training step of the toy BAGS config that
changes fc_cls alone."""
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config

from mmdet.calibration.bags import bags_groups, group_softmax_losses, group_softmax_scores
from mmdet.calibration.bags_head import BAGSBBoxHead
from mmdet.engine.hooks import TrainCountsHook
from mmdet.models.losses import accuracy
from mmdet.registry import MODELS
from mmdet.structures.bbox import bbox2roi
from mmdet.utils.checkpoint import CheckpointError, load_state_dict, partial_load_of
from simcal_testing import COUNTS, NUM_CLASSES, make_batch

REPO = Path(__file__).resolve().parents[2]
TOY_BAGS = REPO / 'configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py'
TOY_STAGE1 = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
# classes 0..4 with 5, 50, 500, 5000 and 7 training instances: groups 1, 2, 3, 4, 1
COUNTS5 = [5, 50, 500, 5000, 7]


def bags_head(num_classes=5, counts=None, **kwargs) -> BAGSBBoxHead:
    torch.manual_seed(0)
    head = MODELS.build(dict(type='BAGSBBoxHead', num_classes=num_classes, in_channels=32,
                             fc_out_channels=64, **kwargs))
    if counts is not None:
        head.receive_train_counts(counts)
    return head


def grouped_logits(n=40, outputs=11, seed=0):
    return torch.randn(n, outputs, generator=torch.Generator().manual_seed(seed)) * 2


def test_layout_and_shapes():
    head = bags_head()
    assert isinstance(head, BAGSBBoxHead)
    assert head.fc_cls.in_features == 64 and head.fc_cls.out_features == 2 + 5 + 4
    assert head.fc_reg.out_features == 4 * 5
    assert head.train_instance_counts.tolist() == [-1] * 5
    assert bags_head(group_edges=(10,)).fc_cls.out_features == 2 + 5 + 2
    cls_score, bbox_pred = head(torch.randn(3, 32, 7, 7))
    assert cls_score.shape == (3, 11) and bbox_pred.shape == (3, 20)
    with pytest.raises(ValueError, match='increasing'):
        bags_head(group_edges=(100, 10))
    with pytest.raises(ValueError, match='others_ratio'):
        bags_head(others_ratio=0)


def test_groups_come_from_the_received_counts():
    head = bags_head(counts=COUNTS5)
    assert head.train_instance_counts.tolist() == COUNTS5
    groups = head.groups
    assert groups.group_of_class.tolist() == [1, 2, 3, 4, 1]
    assert [c.tolist() for c in groups.classes_of_group[1:]] == [[0, 4], [1], [2], [3]]
    assert groups.num_outputs == head.fc_cls.out_features
    head.check_inference_ready()
    # saved with the head: a new head loading the state dict has the same groups
    other = bags_head()
    other.load_state_dict(head.state_dict())
    assert other.groups.group_of_class.tolist() == [1, 2, 3, 4, 1]


def test_no_counts_is_an_error():
    head = bags_head()
    for use in (lambda: head.groups, head.check_inference_ready,
                lambda: head.class_scores(grouped_logits()),
                lambda: head.classification_losses(grouped_logits(), torch.zeros(40).long(),
                                                   torch.ones(40))):
        with pytest.raises(RuntimeError, match='holds no training instance counts'):
            use()


def test_receive_train_counts_refuses_other_counts_and_lengths():
    head = bags_head(counts=COUNTS5)
    head.receive_train_counts(list(COUNTS5))  # the same again: fine (a resumed run)
    with pytest.raises(ValueError, match='grouped by other training counts'):
        head.receive_train_counts([5, 50, 500, 5000, 8])
    assert head.train_instance_counts.tolist() == COUNTS5
    with pytest.raises(ValueError, match='has 3 classes, the BAGS head 5'):
        bags_head().receive_train_counts([1, 2, 3])


def test_class_scores_and_predicted_labels_are_the_group_merge():
    head = bags_head(counts=COUNTS5)
    logits = grouped_logits()
    expected = group_softmax_scores(logits, bags_groups(COUNTS5))
    assert torch.equal(head.class_scores(logits), expected)
    assert torch.equal(head.predicted_labels(logits), expected[:, :-1].argmax(dim=1))
    # by hand: group 0 says foreground, group 4 (class 3 alone) is sure of class 3
    one = torch.zeros(1, 11)
    one[0, 1] = 5.0  # foreground
    one[0, 9] = 8.0  # class 3 in group 4 (outputs 9, 10: c3, others)
    assert head.predicted_labels(one).tolist() == [3]
    # the logits' own argmax over the first C outputs would say otherwise
    assert one[:, :5].argmax(1).tolist() == [1]


def test_classification_losses_are_the_sum_of_the_group_losses():
    head = bags_head(counts=COUNTS5, loss_cls=dict(type='CrossEntropyLoss',
                                                   use_sigmoid=False, loss_weight=2.0))
    groups = bags_groups(COUNTS5)
    gen = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 6, (40,), generator=gen)  # 5 = background
    logits = grouped_logits().requires_grad_()
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        got = head.classification_losses(logits, labels, torch.ones(40))
        torch.manual_seed(seed)
        expected = sum(group_softmax_losses(logits, labels, groups, 8.0)) * 2.0
        assert torch.allclose(got['loss_cls'], expected, rtol=1e-6), seed
        assert torch.equal(got['acc'], accuracy(group_softmax_scores(logits, groups), labels))
        # the label weights are not read (each group weighs its RoIs)
        torch.manual_seed(seed)
        zero_weights = head.classification_losses(logits, labels, torch.zeros(40))
        assert torch.equal(zero_weights['loss_cls'], got['loss_cls'])
    # a smaller others_ratio subsamples the "others" RoIs differently
    small = bags_head(counts=COUNTS5, others_ratio=0.5)
    torch.manual_seed(0)
    sub = small.classification_losses(logits, labels, torch.ones(40))['loss_cls']
    torch.manual_seed(0)
    assert torch.allclose(sub, sum(group_softmax_losses(logits, labels, groups, 0.5)))
    sub.backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def toy_cfg(path=TOY_BAGS) -> Config:
    cfg = Config.fromfile(str(path))
    cfg.model.roi_head.bbox_head.num_classes = NUM_CLASSES
    cfg.model.roi_head.mask_head.num_classes = NUM_CLASSES
    return cfg


def build_toy(path=TOY_BAGS, seed=0):
    torch.manual_seed(seed)
    model = MODELS.build(toy_cfg(path).model)
    model.init_weights()
    return model


def test_stage1_weights_load_with_the_configs_partial_load():
    stage1 = build_toy(TOY_STAGE1, seed=1)
    model = build_toy(seed=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    state = stage1.state_dict()
    assert state['roi_head.bbox_head.fc_cls.weight'].shape == (NUM_CLASSES + 1, 64)
    with pytest.raises(CheckpointError):  # strictly, fc_cls does not fit
        load_state_dict(model, state)
    kwargs = partial_load_of(toy_cfg())
    assert kwargs == dict(allow_missing=['roi_head.bbox_head.train_instance_counts'],
                          allow_reinit=['roi_head.bbox_head.fc_cls.*'])
    missing, _, mismatched = load_state_dict(model, state, **kwargs)
    assert missing == ['roi_head.bbox_head.train_instance_counts']
    assert sorted(m.split(':')[0] for m in mismatched) == [
        'roi_head.bbox_head.fc_cls.bias', 'roi_head.bbox_head.fc_cls.weight']
    after = model.state_dict()
    for key, value in after.items():
        if key.startswith('roi_head.bbox_head.fc_cls.') or key.endswith(
                'train_instance_counts'):
            assert torch.equal(value, before[key]), key  # kept at its initialisation
        else:
            assert torch.equal(value, state[key]), key
    assert not torch.equal(after['roi_head.bbox_head.shared_fcs.0.weight'],
                           before['roi_head.bbox_head.shared_fcs.0.weight'])


def test_train_counts_hook_gives_the_training_sets_counts():
    model = build_toy()

    def runner(metainfo):
        return SimpleNamespace(model=model, train_dataloader=SimpleNamespace(
            dataset=SimpleNamespace(metainfo=metainfo)))

    with pytest.raises(KeyError, match='instance_counts'):
        TrainCountsHook().before_train(runner({}))
    TrainCountsHook().before_train(runner(dict(instance_counts=tuple(COUNTS))))
    assert model.roi_head.bbox_head.train_instance_counts.tolist() == COUNTS
    # a model without receivers needs no counts
    plain = build_toy(TOY_STAGE1)
    TrainCountsHook().before_train(SimpleNamespace(model=plain, train_dataloader=None))


def test_one_training_step_changes_fc_cls_alone_then_predicts():
    model = build_toy()
    model.roi_head.bbox_head.receive_train_counts(COUNTS)
    model.train()
    data = model.data_preprocessor(make_batch(seed=3), training=True)
    before = {k: v.detach().clone() for k, v in model.state_dict(keep_vars=True).items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'acc'}  # no rpn, mask or (frozen) regression loss
    assert not any(k.startswith('loss_rpn') or k == 'loss_mask' for k in losses)
    optimizer.zero_grad()
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optimizer.step()
    after = model.state_dict()
    assert set(after) == set(before)
    for key, value in after.items():
        if key.startswith('roi_head.bbox_head.fc_cls.'):
            assert not torch.equal(value, before[key]), key
        else:
            assert torch.equal(value, before[key]), key
    model.eval()
    model.check_inference_ready()
    with torch.no_grad():
        out = model(**model.data_preprocessor(make_batch(seed=4), False), mode='predict')
    for sample in out:
        pred = sample.pred_instances
        assert len(pred) > 0
        assert ((pred.labels >= 0) & (pred.labels < NUM_CLASSES)).all()
        assert ((pred.scores > 0) & (pred.scores <= 1)).all()
    # 'orig' of a BAGS model is the group merge, not a softmax over its outputs
    logits = grouped_logits(6, 2 + NUM_CLASSES + 4)
    scores = model.roi_head.mode_scores(dict(cls_score=logits), ['orig'])['orig']
    assert torch.equal(scores, group_softmax_scores(logits, bags_groups(COUNTS)))


def test_training_free_modes_need_a_softmax_classifier():
    model = build_toy()
    model.roi_head.bbox_head.receive_train_counts(COUNTS)
    model.roi_head.inference_mode = ['orig', 'tau@1']
    with pytest.raises(ValueError, match=r'C \+ 1 outputs'):
        model.check_inference_ready()
    untrained = build_toy()
    with pytest.raises(RuntimeError, match='holds no training instance counts'):
        untrained.check_inference_ready()


def test_cascade_bags_averages_the_stages_logits_and_trains_their_fc_cls_alone():
    cfg = Config.fromfile(str(REPO / 'configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py'))
    roi = cfg.model.roi_head
    roi.bbox_head = [dict(head, type='BAGSBBoxHead', num_classes=NUM_CLASSES)
                     for head in roi.bbox_head]
    roi.mask_head.num_classes = NUM_CLASSES
    cfg.model.train_only = [f'roi_head.bbox_head.{i}.fc_cls' for i in range(3)]
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    for head in model.roi_head.bbox_head:
        head.receive_train_counts(COUNTS)
    model.train()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = model(**model.data_preprocessor(make_batch(seed=5), training=True), mode='loss')
    assert not any('loss_mask' in k or 'loss_rpn' in k for k in losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    optimizer.step()
    for key, value in model.state_dict().items():
        trained = any(key.startswith(f'roi_head.bbox_head.{i}.fc_cls.') for i in range(3))
        assert torch.equal(value, before[key]) != trained, key
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(make_batch(seed=6), False)
        feats = model.roi_features(model.extract_feat(data['inputs']))
        metas = [s.metainfo for s in data['data_samples']]
        proposals = model.rpn_head.predict(feats, data['data_samples'], rescale=False)
        _, out = model.roi_head.roi_outputs(feats, bbox2roi([p.bboxes for p in proposals]),
                                            metas)
        scores = model.roi_head.score_rois(out)['pred_instances']
    mean = sum(out['stage_logits']) / 3
    assert torch.equal(scores, group_softmax_scores(mean, bags_groups(COUNTS)))
    assert scores.shape[1] == NUM_CLASSES + 1


def test_a_bags_checkpoint_whose_classifier_does_not_fit_is_refused():
    """Counts that load without their classifier (another group_edges: fc_cls skipped by
    the config's partial load) would leave a random classifier that looks trained."""
    trained = build_toy()
    trained.roi_head.bbox_head.receive_train_counts(COUNTS)
    cfg = toy_cfg()
    cfg.model.roi_head.bbox_head.group_edges = (10, 100)  # 2 + 8 + 3 outputs, not 14
    other = MODELS.build(cfg.model)
    with pytest.raises(CheckpointError, match='train_instance_counts loads but not'):
        load_state_dict(other, trained.state_dict(), **partial_load_of(cfg))
    fits = build_toy(seed=3)  # the same layout: loads, and its groups are the loaded ones
    load_state_dict(fits, trained.state_dict())
    assert fits.roi_head.bbox_head.groups.group_of_class.tolist() == \
        bags_groups(COUNTS).group_of_class.tolist()


def test_training_free_modes_on_a_bags_head_fail_at_scoring_too():
    model = build_toy()
    model.roi_head.bbox_head.receive_train_counts(COUNTS)
    logits = grouped_logits(6, 2 + NUM_CLASSES + 4)
    for mode in ('tau@1', 'norcal@0.5'):
        with pytest.raises(ValueError, match=r'C \+ 1 outputs'):
            model.roi_head.mode_scores(dict(cls_score=logits), [mode])
