"""The SimCal detector: frozen detector + calibration head (stage 2), modes (stage 3)."""
import pytest
import torch
from torch import nn

from mmdet.registry import MODELS
from mmdet.utils.checkpoint import CheckpointError

from simcal_testing import NUM_CLASSES, build_simcal, make_batch, simcal_cfg


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
    losses = model(**calibration_batch(model), mode='loss')
    assert set(losses) == {'loss_cal', 'acc', 'acc_fg', 'acc_bg', 'num_pos'}
    assert losses['num_pos'] > 0 and torch.isfinite(losses['loss_cal'])
    losses['loss_cal'].backward()
    for name, param in model.named_parameters():
        assert (param.grad is not None) == name.startswith('roi_head.calib_head.'), name
    assert model.calib_head.calibrated
    after = model.state_dict()  # e.g. frozen BN statistics unchanged by the forward pass
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert 'roi_head.calib_head.calibrated' in changed  # and the copied weights
    assert all(k.startswith('roi_head.calib_head.') for k in changed)


def test_calibration_needs_the_drawn_class():
    model = build_simcal()
    data = model.data_preprocessor(make_batch(), True)
    with pytest.raises(KeyError, match='drawn_label'):
        model(**data, mode='loss')


def test_3fc_ft_starts_from_exactly_the_original_scores():
    model = build_simcal(mode='all').eval()
    model.roi_head.test_cfg['max_per_img'] = 30
    model.calib_head.start_calibration(model.roi_head.bbox_head)
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
            assert orig.masks == other.masks  # RLE lists
        assert sample.pred_instances is dual or torch.equal(sample.pred_instances.scores,
                                                            dual.scores)


def test_mode_all_equals_the_single_modes():
    model = build_simcal(mode='all').eval()
    model.roi_head.test_cfg['max_per_img'] = 30
    model.calib_head.calibrated.fill_(True)  # a random, different head
    with torch.no_grad():
        together = model.test_step(make_batch(seed=3))
        for mode in ('orig', 'cal', 'dual'):
            model.roi_head.inference_mode = mode
            alone = model.test_step(make_batch(seed=3))
            for a, b in zip(alone, together):
                ours, theirs = a.pred_instances, b.get(f'pred_instances_{mode}')
                assert torch.equal(ours.scores, theirs.scores), mode
                assert torch.equal(ours.labels, theirs.labels), mode
                assert ours.masks == theirs.masks, mode  # RLE lists


def test_dual_uses_calibrated_scores_only_below_T():
    model = build_simcal(mode='dual').eval()
    feats = torch.randn(10, 32, 7, 7)
    out = dict(cls_score=model.roi_head.bbox_head(feats)[0], bbox_feats=feats)
    scores = model.roi_head.mode_scores(out, ('orig', 'cal', 'dual'))
    rare = [0, 1, 2, 3]  # COUNTS < 100
    assert torch.equal(scores['dual'][:, rare], scores['cal'][:, rare])
    assert torch.equal(scores['dual'][:, 4:], scores['orig'][:, 4:])  # incl. background
    assert not torch.equal(scores['cal'], scores['orig'])


@pytest.mark.parametrize('variant, hidden', [('2fc_rand', 1), ('3fc_rand', 2), ('3fc_ft', 2)])
def test_head_variants(variant, hidden):
    head = build_simcal(variant=variant).calib_head
    assert len(head.shared_fcs) == hidden and head.fc_cls.out_features == NUM_CLASSES + 1


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="unknown calibration head variant '4fc_ft'"):
        build_simcal(variant='4fc_ft')
    with pytest.raises(ValueError, match='train_ann_file'):
        build_simcal(counts=None)  # T with no training statistics
    build_simcal(counts=None, mode='cal')  # no T needed
    with pytest.raises(ValueError, match='has 3 classes, the model 8'):
        model = build_simcal(counts=[1, 2, 3])
        model.roi_head.use_cal_columns
    cfg = simcal_cfg(counts=None)
    cfg.model.roi_head.train_ann_file = '/nonexistent/train.json'
    model = MODELS.build(cfg.model)
    with pytest.raises(FileNotFoundError, match='train_ann_file'):
        model.roi_head.use_cal_columns


def test_checkpoint_for_another_class_count_is_an_error():
    model = build_simcal()
    other = build_simcal(num_classes=5, counts=[1] * 5).state_dict()
    with pytest.raises(CheckpointError, match='has 5 classes .*the model 8'):
        model.load_state_dict(other, strict=False)


def test_foreign_checkpoint_names_load(tmp_path):
    """A plain Mask R-CNN's weights (mmdetection names) fill everything but the head."""
    cfg = simcal_cfg().model
    cfg.type, cfg.roi_head.type = 'MaskRCNN', 'StandardRoIHead'
    for key in ('calib_head', 'inference_mode', 'count_threshold', 'train_ann_file',
                'train_instance_counts'):
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


def test_calibration_hook_checks_the_run():
    from types import SimpleNamespace

    from mmdet.calibration import SimCalHook

    def runner(num_classes=NUM_CLASSES, loaded=True, batch_size=16):
        sampler = SimpleNamespace(batch_size_per_rank=16, classes_per_rank=16,
                                  images_per_class=1, num_classes_per_iter=16, world_size=1)
        dataset = SimpleNamespace(metainfo=dict(classes=tuple(range(num_classes))))
        loader = SimpleNamespace(dataset=dataset, sampler=sampler, batch_size=batch_size)
        return SimpleNamespace(model=model, _has_loaded=loaded, train_dataloader=loader)

    model, hook = build_simcal(), SimCalHook()
    hook.before_train(runner())
    with pytest.raises(ValueError, match='training set has 5 classes, the detector 8'):
        hook.before_train(runner(num_classes=5))
    with pytest.raises(RuntimeError, match='--load-from'):
        hook.before_train(runner(loaded=False))
    with pytest.raises(ValueError, match='set it to 16'):
        hook.before_train(runner(batch_size=8))
    checkpoint = {}
    hook.before_save_checkpoint(runner(), checkpoint)
    assert checkpoint['meta']['simcal']['head_variant'] == '3fc_ft'
