"""The SimCal detector: frozen detector + calibration head (stage 2), modes (stage 3)."""
import pytest
import torch
from torch import nn

from mmdet.registry import MODELS
from mmdet.utils.checkpoint import CheckpointError

from simcal_testing import (COUNTS, NUM_CLASSES, build_simcal, make_batch, mark_calibrated,
                            simcal_cfg)


def calibration_batch(model, seed=0, drawn=(3, 6)):
    return model.data_preprocessor(make_batch(seed=seed, drawn_labels=list(drawn)), True)


def test_only_the_calibration_head_trains_and_the_detector_stays_in_eval_mode():
    model = build_simcal()
    model.train()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable and all(n.startswith('roi_head.calib_head.') for n in trainable)
    for name, module in model.named_modules():
        in_head = name.startswith('roi_head.calib_head')
        assert module.training == in_head or name == '', name
    assert model.training
    model.eval()
    assert not any(m.training for m in model.modules())


def test_calibration_step_touches_only_the_head_and_no_mask_head():
    model = build_simcal()
    model.train()
    model.roi_head.mask_head.forward = lambda *a: pytest.fail('mask head ran')
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError, match='SimCalHook'):  # the head was not started
        model(**calibration_batch(model), mode='loss')
    model.calib_head.start_calibration(model.roi_head.bbox_head, COUNTS)
    losses = model(**calibration_batch(model), mode='loss')
    assert set(losses) == {'loss_cal', 'acc', 'acc_fg', 'acc_bg', 'num_pos'}
    assert losses['num_pos'] > 0 and torch.isfinite(losses['loss_cal'])
    losses['loss_cal'].backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == name.startswith('roi_head.calib_head.'), name
    assert model.calib_head.calibrated
    after = model.state_dict()  # e.g. frozen BN statistics unchanged by the forward pass
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert {'roi_head.calib_head.calibrated',  # and the copied weights
            'roi_head.calib_head.train_instance_counts'} <= set(changed)
    assert all(k.startswith('roi_head.calib_head.') for k in changed)


def test_calibration_needs_the_drawn_class():
    model = build_simcal()
    data = model.data_preprocessor(make_batch(), True)
    with pytest.raises(KeyError, match='drawn_label'):
        model(**data, mode='loss')


def test_3fc_ft_starts_from_exactly_the_original_scores():
    model = build_simcal(mode='all').eval()
    model.roi_head.test_cfg['max_per_img'] = 30
    model.calib_head.start_calibration(model.roi_head.bbox_head, COUNTS)
    feats = torch.randn(20, 32, 7, 7)
    orig_logits, _ = model.roi_head.bbox_head(feats)
    assert torch.equal(model.calib_head(feats), orig_logits)
    with torch.no_grad():
        samples = model.test_step(make_batch(seed=2))
    for sample in samples:
        orig, cal, dual = (sample.get(f'pred_instances_{m}') for m in ('orig', 'cal', 'dual'))
        assert len(orig) > 0
        for other in (cal, dual):
            assert torch.equal(orig.scores, other.scores)
            assert torch.equal(orig.bboxes, other.bboxes)
            assert torch.equal(orig.labels, other.labels)
            assert orig.masks.to_rle() == other.masks.to_rle()
        assert sample.pred_instances is dual


def test_mode_all_equals_the_single_modes():
    model = build_simcal(mode='all').eval()
    model.roi_head.test_cfg['max_per_img'] = 30
    mark_calibrated(model)  # a random, different head
    with torch.no_grad():
        together = model.test_step(make_batch(seed=3))
        for mode in ('orig', 'cal', 'dual'):
            model.roi_head.inference_mode = mode
            alone = model.test_step(make_batch(seed=3))
            for a, b in zip(alone, together):
                ours, theirs = a.pred_instances, b.get(f'pred_instances_{mode}')
                assert torch.equal(ours.scores, theirs.scores), mode
                assert torch.equal(ours.labels, theirs.labels), mode
                assert ours.masks.to_rle() == theirs.masks.to_rle(), mode


def test_dual_uses_calibrated_scores_only_below_T():
    model = mark_calibrated(build_simcal(mode='dual').eval())
    feats = torch.randn(10, 32, 7, 7)
    out = dict(cls_score=model.roi_head.bbox_head(feats)[0], bbox_feats=feats)
    scores = model.roi_head.mode_scores(out, ('orig', 'cal', 'dual'))
    rare = [0, 1, 2, 3]  # COUNTS < 100
    assert torch.equal(scores['dual'][:, rare], scores['cal'][:, rare])
    assert torch.equal(scores['dual'][:, 4:], scores['orig'][:, 4:])  # incl. background
    assert not torch.equal(scores['cal'], scores['orig'])
    assert torch.equal(scores['orig'], out['cls_score'].softmax(-1))
    assert torch.equal(scores['cal'], model.roi_head.calib_head(feats).softmax(-1))
    alone = model.roi_head.mode_scores(out, ('dual',))  # orig computed for it, not returned
    assert list(alone) == ['dual'] and torch.equal(alone['dual'], scores['dual'])


@pytest.mark.parametrize('variant, hidden', [('2fc_rand', 1), ('3fc_rand', 2), ('3fc_ft', 2)])
def test_head_variants(variant, hidden):
    head = build_simcal(variant=variant).calib_head
    assert len(head.shared_fcs) == hidden and head.fc_cls.out_features == NUM_CLASSES + 1


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="unknown calibration head variant '4fc_ft'"):
        build_simcal(variant='4fc_ft')
    cfg = simcal_cfg()
    cfg.model.roi_head.train_ann_file = 'train.json'  # the counts come from elsewhere now
    with pytest.raises(TypeError, match='train_ann_file is no longer read'):
        MODELS.build(cfg.model)
    with pytest.raises(ValueError, match='count_threshold'):
        build_simcal(threshold=None)


@pytest.mark.parametrize('mode', ['cal', 'dual', 'all'])
def test_calibrated_modes_of_an_uncalibrated_head_are_errors(mode):
    model = build_simcal(mode=mode).eval()
    with pytest.raises(RuntimeError, match='holds no calibration weights'):
        model.test_step(make_batch())
    model.calib_head.calibrated.fill_(True)  # weights but no counts: T cannot apply
    if mode != 'cal':
        with pytest.raises(RuntimeError, match='no training instance counts'):
            model.test_step(make_batch())
    model.roi_head.inference_mode = 'orig'
    model.test_step(make_batch())  # the original head needs no calibration


def test_a_calibrated_checkpoint_carries_its_counts():
    """Counts and the calibration flag travel with the weights: a fresh model loaded
    from the state dict scores 'dual' as the calibrated one, with no training file."""
    calibrated = build_simcal(mode='dual').eval()
    calibrated.calib_head.start_calibration(calibrated.roi_head.bbox_head, COUNTS)
    with torch.no_grad():
        calibrated.calib_head.fc_cls.weight.mul_(3)  # differ from the box head
    fresh = build_simcal(seed=5, mode='dual').eval()
    fresh.load_state_dict(calibrated.state_dict())
    assert fresh.calib_head.train_instance_counts.tolist() == COUNTS
    with torch.no_grad():
        want = calibrated.test_step(make_batch(seed=4))
        have = fresh.test_step(make_batch(seed=4))
    for a, b in zip(want, have):
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)


def test_checkpoint_for_another_class_count_is_an_error():
    model = build_simcal()
    other = build_simcal(num_classes=5).state_dict()
    with pytest.raises(CheckpointError, match='has 5 classes .*the model 8'):
        model.load_state_dict(other, strict=False)


def test_foreign_checkpoint_names_load(tmp_path):
    """A plain Mask R-CNN's weights (mmdetection names) fill everything but the head."""
    cfg = simcal_cfg().model
    cfg.type, cfg.roi_head.type = 'MaskRCNN', 'StandardRoIHead'
    for key in ('calib_head', 'inference_mode', 'count_threshold'):
        cfg.roi_head.pop(key)
    cfg.pop('calib_cfg')
    torch.manual_seed(1)
    plain = MODELS.build(cfg)
    missing, unexpected = build_simcal().load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected
    assert missing and all(k.startswith('roi_head.calib_head.') for k in missing)


def test_train_keeps_modules_outside_the_head_frozen_after_eval_train_cycles():
    model = build_simcal()
    for _ in range(2):
        model.eval()
        model.train()
    bns = [m for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)


def test_calibration_hook_starts_the_head_and_checks_the_run():
    from types import SimpleNamespace

    from mmdet.calibration import SimCalHook

    def runner(num_classes=NUM_CLASSES):
        metainfo = dict(classes=tuple(range(num_classes)), instance_counts=COUNTS)
        loader = SimpleNamespace(dataset=SimpleNamespace(metainfo=metainfo))
        return SimpleNamespace(model=model, train_dataloader=loader)

    model, hook = build_simcal(), SimCalHook()
    # nothing loaded (e.g. --resume on an empty work dir): no calibration of random weights
    with pytest.raises(RuntimeError, match='no detector weights were loaded'):
        hook.before_train(runner())
    backbone_only = {k: v for k, v in model.state_dict().items() if k.startswith('backbone.')}
    model.load_state_dict(backbone_only, strict=False)
    with pytest.raises(RuntimeError, match='--load-from'):
        hook.before_train(runner())
    model.load_state_dict(build_simcal(seed=1).state_dict())
    with pytest.raises(ValueError, match='training set has 5 classes, the detector 8'):
        hook.before_train(runner(num_classes=5))
    assert not model.calib_head.calibrated
    hook.before_train(runner())
    head = model.calib_head
    assert head.calibrated and head.train_instance_counts.tolist() == COUNTS
    assert torch.equal(head.fc_cls.weight, model.roi_head.bbox_head.fc_cls.weight)  # 3fc_ft
    with torch.no_grad():
        head.fc_cls.weight.add_(1)
    hook.before_train(runner())  # resuming: a started head is kept
    assert not torch.equal(head.fc_cls.weight, model.roi_head.bbox_head.fc_cls.weight)
    checkpoint = {}
    hook.before_save_checkpoint(runner(), checkpoint)
    meta = checkpoint['meta']['simcal']
    assert meta['head_variant'] == '3fc_ft' and meta['count_threshold'] == 100


def test_simcal_and_plain_paths_agree_in_layout_and_outputs():
    """The SimCal detector predicts through the plain two-stage path: with channels-last
    convolutions both feed channels-last maps to RoIAlign, which reads them in place,
    and mode 'orig' gives exactly the plain Mask R-CNN's detections."""
    simcal = build_simcal(mode='orig').eval()
    cfg = simcal_cfg().model
    cfg.type, cfg.roi_head.type = 'MaskRCNN', 'StandardRoIHead'
    for key in ('calib_head', 'inference_mode', 'count_threshold'):
        cfg.roi_head.pop(key)
    cfg.pop('calib_cfg')
    plain = MODELS.build(cfg).eval()
    plain.load_state_dict(simcal.state_dict(), strict=False)
    layouts = []
    for model in (simcal, plain):
        model.prepare_for_inference(fold_norms=True, channels_last=True)
        for extractor in (model.roi_head.bbox_roi_extractor, model.roi_head.mask_roi_extractor):
            forward = extractor.forward

            def spy(feats, rois, *args, _forward=forward, _name=type(model).__name__):
                layouts.append((_name, all(f.is_contiguous(memory_format=torch.channels_last)
                                           and not f.is_contiguous() for f in feats)))
                return _forward(feats, rois, *args)
            extractor.forward = spy
    with torch.no_grad():
        ours = simcal.test_step(make_batch(seed=6))
        theirs = plain.test_step(make_batch(seed=6))
    assert {name for name, _ in layouts} == {'SimCalDetector', 'MaskRCNN'}
    assert all(nhwc for _, nhwc in layouts), layouts
    assert sum(len(s.pred_instances) for s in ours) > 0
    for a, b in zip(ours, theirs):
        for key in ('bboxes', 'scores', 'labels'):
            assert torch.equal(a.pred_instances[key], b.pred_instances[key]), key
        assert a.pred_instances.masks.to_rle() == b.pred_instances.masks.to_rle()
