"""SimCal on cascades (SimCalCascadeRoIHead, SimCalHTCRoIHead): one calibration head per
stage, started from its own stage's box head, calibrated on its stage's RoIs at its IoU
threshold; at test time the heads' logits averaged, then dual with T."""
import pytest
import torch
from mmengine.config import Config

from mmdet.calibration import CalibrationHeads
from mmdet.registry import MODELS
from data_testing import load_reference
from detection_testing import predict_reference
from simcal_testing import COUNTS, NUM_CLASSES, REPO, make_batch

TOY_CASCADE_SIMCAL = REPO / 'configs/simcal/simcal_3fc_ft_cascade_r18c16_fpn_toy_lvis.py'


def cascade_simcal(mode='dual', seed=0):
    cfg = Config.fromfile(str(TOY_CASCADE_SIMCAL)).model
    for head in cfg.roi_head.bbox_head:
        head['num_classes'] = NUM_CLASSES
    cfg.roi_head.mask_head.num_classes = NUM_CLASSES
    cfg.roi_head.inference_mode = mode
    cfg.test_cfg.rcnn.score_thr = 0.0
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def _start(model):
    for head, box in zip(model.calib_head, model.roi_head.bbox_head):
        head.start_calibration(box, COUNTS)
    return model


def test_each_stage_head_starts_from_its_own_box_head():
    model = _start(cascade_simcal())
    assert isinstance(model.calib_head, CalibrationHeads) and len(model.calib_head) == 3
    assert bool(model.calib_head.calibrated)
    for head, box in zip(model.calib_head, model.roi_head.bbox_head):
        assert torch.equal(head.fc_cls.weight, box.fc_cls.weight)
        assert torch.equal(head.shared_fcs[1].weight, box.shared_fcs[1].weight)
    assert not torch.equal(model.calib_head[0].fc_cls.weight, model.calib_head[2].fc_cls.weight)


def test_started_heads_score_exactly_as_the_cascade_and_dual_replaces_below_t():
    """3fc_ft copies of the box heads, averaged like them: 'cal' equals 'orig' at the
    start; after a change, 'dual' takes 'cal' for the rare classes only."""
    model = _start(cascade_simcal(mode='all')).eval()
    model.roi_head.test_cfg['max_per_img'] = 30
    with torch.no_grad():
        out = model.test_step(make_batch(seed=1))
        for sample in out:
            orig, cal = sample.pred_instances_orig, sample.pred_instances_cal
            assert torch.allclose(orig.scores, cal.scores, atol=1e-6)
            assert torch.equal(orig.labels, cal.labels)
        for head in model.calib_head:
            head.fc_cls.bias[:4] += 3.0  # the rare labels (COUNTS < 100) gain
        feats = [torch.randn(6, 32, 7, 7) for _ in range(3)]
        logits = sum(b(f)[0] for b, f in zip(model.roi_head.bbox_head, feats)) / 3
        scores = model.roi_head.mode_scores(dict(cls_score=logits, stage_feats=feats),
                                            ('orig', 'cal', 'dual'))
    assert torch.equal(scores['dual'][:, :4], scores['cal'][:, :4])
    assert torch.equal(scores['dual'][:, 4:], scores['orig'][:, 4:])
    assert not torch.allclose(scores['cal'][:, :4], scores['orig'][:, :4])


def test_calibration_step_trains_each_stage_head_only():
    model = _start(cascade_simcal())
    model.train()
    data = model.data_preprocessor(make_batch(seed=2, drawn_labels=[1, 5]), training=True)
    losses = model(**data, mode='loss')
    assert {f's{s}.loss_cal' for s in range(3)} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, param in model.named_parameters():
        if name.startswith('roi_head.calib_head.'):
            assert param.grad is not None, name
        else:
            assert param.grad is None, name
    assert all(h.fc_cls.weight.grad.abs().sum() > 0 for h in model.calib_head)


def test_stage_assigners_and_bad_thresholds():
    model = cascade_simcal()
    assert [a.pos_iou_thr for a in model.calib_assigners] == [0.5, 0.6, 0.7]
    cfg = Config.fromfile(str(TOY_CASCADE_SIMCAL)).model
    cfg.calib_cfg.stage_iou_thrs = (0.5, 0.6)
    with pytest.raises(ValueError, match='one IoU threshold per stage'):
        MODELS.build(cfg)


def test_htc_calibration_heads_read_semantic_roi_features():
    ref = load_reference('htc_r18c16_fpn_small.pt')
    cfg = Config.fromstring(ref['config'], '.py').model
    cfg.type = 'SimCalDetector'
    cfg.roi_head.type = 'SimCalHTCRoIHead'
    model = MODELS.build(cfg)
    model.load_state_dict(ref['state_dict'], strict=False)
    _start(model).eval()
    model.roi_head.inference_mode = 'cal'
    cal = predict_reference(model, ref)  # 3fc_ft starts = the original scores
    model.roi_head.inference_mode = 'orig'
    orig = predict_reference(model, ref)
    for a, b in zip(cal, orig):
        assert torch.equal(a.labels, b.labels)
        assert torch.allclose(a.scores, b.scores, atol=1e-6)
