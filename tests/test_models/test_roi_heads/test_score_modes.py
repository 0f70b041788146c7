"""Inference modes of every RoI head (score_modes): parsing, the scores of 'orig',
'norcal' and 'tau' on a tiny plain Mask R-CNN against hand computations, the output
fields, what check_inference_ready refuses, and tau-normalisation on a cascade."""
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from detection_testing import make_batch
from mmdet.calibration.posthoc import norcal_scores, tau_normalized_logits, \
    tau_normalized_weight
from mmdet.models.roi_heads.score_modes import main_mode, mode_field, parse_mode, \
    parse_modes
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

register_all_modules()

REPO = Path(__file__).resolve().parents[3]
TOY = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
TOY_CASCADE = REPO / 'configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py'
C = 8
CAT_IDS = [2 * (k + 1) for k in range(C)]  # 2, 4, ..., 16: label k is category 2k + 2
# the images of each class's annotations (one entry per instance): class 0 has two
# instances in one image, class 4 three in one image, class 7 three in two images
ANN_IMAGES = [[1, 1], [1, 2], [3], [1, 2, 3], [4, 4, 4], [2], [1, 2, 3, 4], [5, 5, 6]]
IMAGE_COUNTS = [len(set(imgs)) for imgs in ANN_IMAGES]  # [1, 2, 1, 3, 1, 1, 4, 2]
INSTANCE_COUNTS = [len(imgs) for imgs in ANN_IMAGES]  # [2, 2, 1, 3, 3, 1, 4, 3]


def write_train_ann(path: Path, num_classes: int = C) -> Path:
    images = [dict(id=i, width=64, height=48, file_name=f'{i}.jpg', neg_category_ids=[],
                   not_exhaustive_category_ids=[]) for i in range(1, 7)]
    cats = [dict(id=CAT_IDS[k], name=f'c{k}', frequency='r') for k in range(num_classes)]
    anns = []
    for k in reversed(range(num_classes)):  # file order is not label order
        for img in ANN_IMAGES[k]:
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=CAT_IDS[k],
                             bbox=[2, 2, 10, 10], area=100,
                             segmentation=[[2, 2, 12, 2, 12, 12]]))
    path.write_text(json.dumps(dict(images=images, categories=cats, annotations=anns)))
    return path


@pytest.fixture
def train_ann(tmp_path) -> Path:
    return write_train_ann(tmp_path / 'train.json')


def toy_cfg(mode='orig', norcal=None, tau_norm=None, path=TOY, num_classes=C):
    cfg = Config.fromfile(str(path)).model
    heads = cfg.roi_head.bbox_head
    for head in (heads if isinstance(heads, list) else [heads]):
        head['num_classes'] = num_classes
    cfg.roi_head.mask_head.num_classes = num_classes
    cfg.roi_head.inference_mode = mode
    if norcal is not None:
        cfg.roi_head.norcal = norcal
    if tau_norm is not None:
        cfg.roi_head.tau_norm = tau_norm
    return cfg


def build(mode='orig', seed=0, **kwargs):
    """A tiny Mask R-CNN (random weights, eval mode) scoring in ``mode``."""
    torch.manual_seed(seed)
    return MODELS.build(toy_cfg(mode, **kwargs)).eval()


def random_logits(n=6, seed=1):
    return torch.randn(n, C + 1, generator=torch.Generator().manual_seed(seed)) * 3


# ----------------------------------------------------------------------- parsing
def test_parse_mode_values_and_errors():
    assert parse_mode('orig') == ('orig', None)
    assert parse_mode('norcal@0.5') == ('norcal', 0.5)
    assert parse_mode('tau@2') == ('tau', 2.0)
    for bad in ('bogus', 'norcal@', 'norcal@abc', 'tau@1@2', 'Orig', 'norcal0.5'):
        with pytest.raises(ValueError, match=repr(bad).replace('[', r'\[')):
            parse_mode(bad)
    for bad in ('norcal@abc', 'norcal@nan', 'tau@inf'):
        with pytest.raises(ValueError, match='is not a finite number'):
            parse_mode(bad)
    for fixed in ('orig@1', 'cal@0.5', 'dual@2'):
        with pytest.raises(ValueError, match='only norcal and tau take a value'):
            parse_mode(fixed)


def test_parse_modes_expands_all_dedups_and_keeps_order():
    assert parse_modes('orig') == ('orig',)
    assert parse_modes('all') == ('orig', 'cal', 'dual')
    assert parse_modes(['tau', 'all', 'orig', 'norcal@0.5', 'tau']) == (
        'tau', 'orig', 'cal', 'dual', 'norcal@0.5')
    assert parse_modes(('norcal@0.5', 'norcal@1', 'norcal@0.5')) == ('norcal@0.5', 'norcal@1')
    assert parse_modes(['dual', 'all']) == ('dual', 'orig', 'cal')
    with pytest.raises(ValueError, match="'bogus'"):
        parse_modes(['orig', 'bogus'])
    with pytest.raises(ValueError, match="'orig@1'"):
        parse_modes(['orig@1'])
    with pytest.raises(ValueError, match="'x'"):
        parse_modes('tau@x')
    for empty in ([], None, ()):
        with pytest.raises(ValueError, match='no inference mode'):
            parse_modes(empty)


def test_main_mode_and_field_names():
    assert main_mode(('orig', 'cal', 'dual')) == 'dual'
    assert main_mode(('tau', 'dual', 'orig')) == 'dual'
    assert main_mode(('norcal@0.5', 'orig')) == 'norcal@0.5'
    assert main_mode(('cal',)) == 'cal'
    assert mode_field('tau@1.5') == 'pred_instances_tau@1.5'


# ------------------------------------------------------------------ tau formula
def test_tau_normalized_logits_equal_the_normalised_classifier():
    gen = torch.Generator().manual_seed(0)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-5)):
        weight = torch.randn(C + 1, 16, generator=gen, dtype=torch.float64).to(dtype)
        bias = torch.randn(C + 1, generator=gen, dtype=torch.float64).to(dtype)
        x = torch.randn(20, 16, generator=gen, dtype=torch.float64).to(dtype)
        logits = F.linear(x, weight, bias)
        for tau in (0.0, 0.5, 1.0, 2.3):
            expected = F.linear(x, tau_normalized_weight(weight, tau), bias)
            got = tau_normalized_logits(logits, weight, bias, tau)
            assert torch.allclose(got, expected, rtol=tol, atol=tol), (dtype, tau)
        # tau 0 changes nothing; the background logit is never touched
        assert torch.allclose(tau_normalized_logits(logits, weight, bias, 0.0), logits,
                              atol=tol)
        assert torch.equal(tau_normalized_logits(logits, weight, bias, 1.0)[:, -1],
                           logits[:, -1])
    with pytest.raises(ValueError, match='do not come from a classifier'):
        tau_normalized_logits(torch.zeros(3, C), torch.zeros(C + 1, 4), torch.zeros(C + 1), 1)
    with pytest.raises(ValueError, match='do not come from a classifier'):
        tau_normalized_logits(torch.zeros(3, C + 1), torch.zeros(C + 1, 4), torch.zeros(C), 1)


# ---------------------------------------------------------- scores of the modes
def test_orig_is_the_softmax():
    head = build().roi_head
    logits = random_logits()
    scores = head.mode_scores(dict(cls_score=logits), ['orig'])
    assert list(scores) == ['orig']
    assert torch.allclose(scores['orig'], torch.softmax(logits, dim=1), atol=1e-7)


def test_norcal_counts_images_or_instances_of_the_count_file(train_ann):
    logits = random_logits()
    by_image = build('norcal@0.5', norcal=dict(count_file=str(train_ann))).roi_head
    by_instance = build('norcal@0.5', norcal=dict(count_file=str(train_ann),
                                                  count_by='instance')).roi_head
    assert by_image.norcal_cfg['count_by'] == 'image'  # NorCal's default
    assert by_image.norcal_class_counts().tolist() == IMAGE_COUNTS
    assert by_instance.norcal_class_counts().tolist() == INSTANCE_COUNTS
    for head, counts in ((by_image, IMAGE_COUNTS), (by_instance, INSTANCE_COUNTS)):
        for gamma in (0.5, 1.2):
            got = head.mode_scores(dict(cls_score=logits), [f'norcal@{gamma}'])
            expected = norcal_scores(logits, torch.tensor(counts), gamma)
            assert torch.allclose(got[f'norcal@{gamma}'], expected, atol=1e-7)
            # by hand: a softmax of the foreground logits shifted by -gamma log n_c
            shift = torch.tensor([-gamma * torch.tensor(float(n)).log().item()
                                  for n in counts] + [0.0])
            assert torch.allclose(got[f'norcal@{gamma}'],
                                  torch.softmax(logits + shift, dim=1), atol=1e-6)
    image_scores = by_image.mode_scores(dict(cls_score=logits), ['norcal@0.5'])['norcal@0.5']
    instance_scores = by_instance.mode_scores(dict(cls_score=logits),
                                              ['norcal@0.5'])['norcal@0.5']
    assert not torch.allclose(image_scores, instance_scores)
    # class 0 (2 instances in 1 image) weighs more by image than by instance
    assert (image_scores[:, 0] / image_scores[:, 6] > instance_scores[:, 0]
            / instance_scores[:, 6]).all()


def test_norcal_gamma_from_the_config_or_the_mode(tmp_path, train_ann):
    logits = random_logits()
    head = build('norcal', norcal=dict(count_file=str(train_ann), gamma=0.3)).roi_head
    scores = head.mode_scores(dict(cls_score=logits), ['norcal', 'norcal@0.9', 'norcal@0'])
    counts = torch.tensor(IMAGE_COUNTS)
    assert torch.allclose(scores['norcal'], norcal_scores(logits, counts, 0.3), atol=1e-7)
    assert torch.allclose(scores['norcal@0.9'], norcal_scores(logits, counts, 0.9), atol=1e-7)
    assert torch.allclose(scores['norcal@0'], torch.softmax(logits, 1), atol=1e-6)
    # the other settings reach norcal_scores; a {category_id: count} json is a count file
    mapping = tmp_path / 'counts.json'
    mapping.write_text(json.dumps({str(c): 10 * (k + 1) for k, c in enumerate(CAT_IDS)}))
    head = build('norcal', norcal=dict(count_file=str(mapping), gamma=0.5, on='probs',
                                       renorm=False)).roi_head
    expected = norcal_scores(logits, torch.arange(1, C + 1) * 10, 0.5, on='probs',
                             renorm=False)
    assert torch.allclose(head.mode_scores(dict(cls_score=logits), ['norcal'])['norcal'],
                          expected, atol=1e-7)


def test_tau_is_the_softmax_of_the_normalised_classifier_on_the_roi_features():
    model = build('tau', tau_norm=dict(tau=0.7))
    head, box = model.roi_head, model.roi_head.bbox_head
    roi_feats = torch.randn(10, 32, 7, 7, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        cls_score, _ = box(roi_feats)
        shared = box.shared_features(roi_feats)
        w, b = box.fc_cls.weight, box.fc_cls.bias
        scores = head.mode_scores(dict(cls_score=cls_score), ['tau', 'tau@1.5', 'tau@0'])
    for mode, tau in (('tau', 0.7), ('tau@1.5', 1.5), ('tau@0', 0.0)):
        norms = w[:-1].norm(dim=1, keepdim=True)
        weight = torch.cat([w[:-1] / norms ** tau, w[-1:]])  # background row kept
        expected = torch.softmax(F.linear(shared, weight, b), dim=1)
        assert torch.allclose(scores[mode], expected, atol=1e-6), mode
    assert torch.allclose(scores['tau@0'], torch.softmax(cls_score, 1), atol=1e-6)
    assert not torch.allclose(scores['tau'], scores['tau@1.5'], atol=1e-3)


# ------------------------------------------------------------- output fields
def test_score_rois_fields_for_one_and_several_modes(train_ann):
    logits = random_logits()
    out = dict(cls_score=logits)
    head = build('orig').roi_head
    fields = head.score_rois(out)
    assert list(fields) == ['pred_instances']
    assert torch.allclose(fields['pred_instances'], torch.softmax(logits, 1))
    head = build(['tau@2', 'orig', 'norcal@0.5', 'orig'],
                 norcal=dict(count_file=str(train_ann))).roi_head
    assert head.modes == ('tau@2', 'orig', 'norcal@0.5')
    fields = head.score_rois(out)
    assert list(fields) == ['pred_instances', 'pred_instances_tau@2', 'pred_instances_orig',
                            'pred_instances_norcal@0.5']
    assert fields['pred_instances'] is fields['pred_instances_tau@2']  # the first mode
    assert torch.allclose(fields['pred_instances_orig'], torch.softmax(logits, 1))
    assert torch.allclose(fields['pred_instances_norcal@0.5'],
                          norcal_scores(logits, torch.tensor(IMAGE_COUNTS), 0.5))


def test_several_modes_in_one_pass_predict_as_each_mode_alone(train_ann):
    modes = ['tau@1', 'orig', 'norcal@0.5']
    norcal = dict(count_file=str(train_ann))
    batch = make_batch(C, seed=4)
    with torch.no_grad():
        model = build(modes, seed=2, norcal=norcal)
        model.check_inference_ready()
        data = model.data_preprocessor(batch, False)
        together = model(**data, mode='predict')
        for mode in modes:
            alone = build(mode, seed=2, norcal=norcal)
            single = alone(**alone.data_preprocessor(make_batch(C, seed=4), False),
                           mode='predict')
            for sample, ref in zip(together, single):
                got, exp = sample.get(mode_field(mode)), ref.pred_instances
                assert len(exp) > 0
                assert torch.equal(got.labels, exp.labels), mode
                assert torch.allclose(got.scores, exp.scores, atol=1e-6), mode
                assert torch.allclose(got.bboxes, exp.bboxes, atol=1e-4), mode
                assert torch.allclose(got.masks.probs, exp.masks.probs, atol=1e-6), mode
    for sample in together:
        assert sample.pred_instances is sample.get('pred_instances_tau@1')
        assert not torch.equal(sample.pred_instances_orig.scores,
                               sample.get('pred_instances_norcal@0.5').scores)


# ------------------------------------------------------------ readiness checks
def test_check_inference_ready_refusals(tmp_path, train_ann):
    build('orig').roi_head.check_inference_ready()
    build('tau@2').roi_head.check_inference_ready()
    with pytest.raises(ValueError, match='NorCal needs gamma'):
        build('norcal', norcal=dict(count_file=str(train_ann))).check_inference_ready()
    with pytest.raises(ValueError, match='count_file'):
        build('norcal@0.5').check_inference_ready()
    with pytest.raises(ValueError, match='count_file'):
        build(['orig', 'norcal'], norcal=dict(gamma=0.5)).check_inference_ready()
    five = write_train_ann(tmp_path / 'five.json', num_classes=5)
    with pytest.raises(ValueError, match='5 categories, the model 8 classes'):
        build('norcal@0.5', norcal=dict(count_file=str(five))).check_inference_ready()
    zero = tmp_path / 'zero.json'  # a class never seen in training: no 1 / n ** gamma
    zero.write_text(json.dumps({str(c): 0 if c == 3 else 5 for c in range(1, 9)}))
    with pytest.raises(ValueError, match='classes \\[2\\] have none'):
        build('norcal@0.5', norcal=dict(count_file=str(zero))).check_inference_ready()
    with pytest.raises(ValueError, match="'cb' method needs 0 < gamma < 1"):
        build('norcal@2', norcal=dict(count_file=str(train_ann), method='cb')
              ).check_inference_ready()
    ready = build(['norcal', 'orig'], norcal=dict(count_file=str(train_ann), gamma=1.0))
    ready.check_inference_ready()
    assert ready.roi_head.norcal_class_counts().tolist() == IMAGE_COUNTS


def test_bad_modes_and_settings_are_refused_at_construction():
    for mode in ('cal', 'dual', 'all', ['orig', 'cal']):
        with pytest.raises(ValueError, match='needs a SimCal model'):
            build(mode)
    with pytest.raises(ValueError, match="'norcal@x'"):
        build('norcal@x')
    with pytest.raises(KeyError, match='gama'):
        build('norcal', norcal=dict(gama=0.5))
    with pytest.raises(KeyError, match='taus'):
        build('tau', tau_norm=dict(taus=1.0))
    for key, value in (('on', 'softmax'), ('method', 'power'), ('count_by', 'box')):
        with pytest.raises(ValueError, match=f"norcal.{key} must be one of .*'{value}'"):
            build('norcal@0.5', norcal={key: value})


# ------------------------------------------------------------------------ cascade
def test_cascade_roi_outputs_carry_each_stages_logits():
    torch.manual_seed(0)
    model = MODELS.build(toy_cfg(path=TOY_CASCADE, num_classes=5)).eval()
    head = model.roi_head
    batch = model.data_preprocessor(make_batch(5, seed=1), False)
    metas = [s.metainfo for s in batch['data_samples']]
    gen = torch.Generator().manual_seed(5)
    xy = torch.rand(12, 2, generator=gen) * 60
    rois = torch.cat([torch.zeros(12, 1), xy, xy + 10 + torch.rand(12, 2, generator=gen) * 30],
                     dim=1)
    with torch.no_grad():
        feats = model.extract_feat(batch['inputs'])
        _, out = head.roi_outputs(feats, rois, metas)
        first = head.bbox_forward(feats, rois, 0)['cls_score']
    assert len(out['stage_logits']) == 3
    assert torch.equal(out['stage_logits'][0], first)
    assert torch.allclose(out['cls_score'], sum(out['stage_logits']) / 3, atol=1e-7)


def test_cascade_tau_logits_are_the_mean_of_each_stages_tau_logits():
    torch.manual_seed(0)
    model = MODELS.build(toy_cfg(path=TOY_CASCADE, num_classes=5,
                                 tau_norm=dict(tau=0.8))).eval()
    head = model.roi_head
    gen = torch.Generator().manual_seed(6)
    feats = [torch.randn(7, 32, 7, 7, generator=gen) for _ in range(3)]
    with torch.no_grad():
        stage_logits = [box(f)[0] for box, f in zip(head.bbox_head, feats)]
        by_hand = []
        for box, f in zip(head.bbox_head, feats):
            w, b = box.fc_cls.weight, box.fc_cls.bias
            weight = torch.cat([w[:-1] / w[:-1].norm(dim=1, keepdim=True) ** 0.8, w[-1:]])
            by_hand.append(F.linear(box.shared_features(f), weight, b))
        expected = sum(by_hand) / 3
        out = dict(cls_score=sum(stage_logits) / 3, stage_logits=stage_logits)
        got = head.tau_normalized_logits(out, 0.8)
        scores = head.mode_scores(out, ['tau', 'orig'])
        last_only = tau_normalized_logits(out['cls_score'], head.bbox_head[-1].fc_cls.weight,
                                          head.bbox_head[-1].fc_cls.bias, 0.8)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.allclose(scores['tau'], torch.softmax(expected, 1), atol=1e-6)
    assert torch.allclose(scores['orig'], torch.softmax(out['cls_score'], 1), atol=1e-7)
    # each stage is normalised by its own classifier, not the last one's
    assert not torch.allclose(got, last_only, atol=1e-4)


def test_norcal_counts_must_be_the_test_sets_classes(tmp_path, train_ann):
    """The same number of categories but other ids would give counts to the wrong
    classes: RunChecksHook compares them with the test set's ids before the first image."""
    head = build('norcal@0.5', norcal=dict(count_file=str(train_ann))).roi_head
    head.check_class_ids(CAT_IDS)
    with pytest.raises(ValueError, match='other category ids than the test set'):
        head.check_class_ids([i + 1000 for i in CAT_IDS])
    with pytest.raises(ValueError, match='other category ids than the test set'):
        head.check_class_ids(list(reversed(CAT_IDS)))  # the order is the label order
    build('orig').roi_head.check_class_ids([1, 2])  # no NorCal: nothing to match
