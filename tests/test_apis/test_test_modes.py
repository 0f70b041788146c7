"""``configure_test_mode`` with one or several inference modes (SimCal's and the
training-free ones), NorCal's count file, and ``instances_by_mode`` of a test sample."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.apis import test as test_api
from mmdet.apis.test import configure_test_mode
from mmdet.models.roi_heads.score_modes import instances_by_mode
from mmdet.structures import DetDataSample, InstanceData

REPO = Path(__file__).resolve().parents[2]
TOY_SIMCAL = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'
TOY_STAGE1 = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
TRAIN_ANN = 'data/toy_lvis/annotations/lvis_toy_train.json'


def load(path=TOY_SIMCAL) -> Config:
    return Config.fromfile(str(path))


def test_a_list_of_modes_splits_the_evaluators_per_mode():
    cfg = load()
    cfg.test_evaluator.outfile_prefix = 'out/results'
    configure_test_mode(cfg, ['orig', 'tau@1.5', 'dual'])
    assert cfg.model.roi_head.inference_mode == ['orig', 'tau@1.5', 'dual']
    got = [(e['type'], e['prefix'], e['pred_field'], e['outfile_prefix'])
           for e in cfg.test_evaluator]
    assert got == [('LVISMetric', m, f'pred_instances_{m}', f'out/results.{m}')
                   for m in ('orig', 'tau@1.5', 'dual')]
    # every split evaluator keeps the original's other settings
    for e in cfg.test_evaluator:
        assert e['train_ann_file'] == TRAIN_ANN and list(e['metric']) == ['bbox', 'segm']
    assert test_api.test_modes(cfg) == ('orig', 'tau@1.5', 'dual')


def test_all_and_repeats_expand_in_order_and_other_evaluators_are_kept_once():
    cfg = load()
    dump = dict(type='DumpDetResults', out_file_path='out/raw.pkl')
    cfg.test_evaluator = [dump, dict(cfg.test_evaluator)]  # no outfile_prefix
    configure_test_mode(cfg, ['norcal@0.5', 'all', 'orig'])
    assert cfg.model.roi_head.inference_mode == ['norcal@0.5', 'orig', 'cal', 'dual']
    evaluators = cfg.test_evaluator
    assert evaluators[0] == dump
    assert [e['prefix'] for e in evaluators[1:]] == ['norcal@0.5', 'orig', 'cal', 'dual']
    assert [e['pred_field'] for e in evaluators[1:]] == [
        'pred_instances_norcal@0.5', 'pred_instances_orig', 'pred_instances_cal',
        'pred_instances_dual']
    assert all('outfile_prefix' not in e for e in evaluators[1:])


def test_one_mode_keeps_the_evaluator_and_a_one_item_list_is_that_mode():
    for mode in ('cal', ['cal'], ['cal', 'cal']):
        cfg = load()
        configure_test_mode(cfg, mode)
        assert cfg.model.roi_head.inference_mode == 'cal'
        evaluators = test_api.evaluator_list(cfg, 'test_evaluator')
        assert len(evaluators) == 1
        assert 'prefix' not in evaluators[0] and 'pred_field' not in evaluators[0]
    cfg = load()
    configure_test_mode(cfg, 'all')  # the string stays, read by parse_modes
    assert cfg.model.roi_head.inference_mode == 'all'
    assert [e['prefix'] for e in cfg.test_evaluator] == ['orig', 'cal', 'dual']


def test_norcal_count_file_comes_from_the_evaluators_train_ann_file():
    cfg = load(TOY_STAGE1)
    configure_test_mode(cfg, 'norcal@0.3')
    assert cfg.model.roi_head.inference_mode == 'norcal@0.3'
    assert cfg.model.roi_head.norcal['count_file'] == TRAIN_ANN
    # a count file the config sets is kept, and the other NorCal settings with it
    cfg = load(TOY_STAGE1)
    cfg.model.roi_head.norcal = dict(count_file='my/counts.json', gamma=0.4)
    configure_test_mode(cfg, ['orig', 'norcal'])
    assert dict(cfg.model.roi_head.norcal) == dict(count_file='my/counts.json', gamma=0.4)
    assert [e['prefix'] for e in cfg.test_evaluator] == ['orig', 'norcal']
    # the first detection metric with a train_ann_file gives it
    cfg = load(TOY_STAGE1)
    cfg.test_evaluator = [dict(type='DumpDetResults', out_file_path='raw.pkl'),
                          dict(cfg.test_evaluator, train_ann_file=None),
                          dict(cfg.test_evaluator, train_ann_file='second/train.json')]
    configure_test_mode(cfg, 'norcal@1')
    assert cfg.model.roi_head.norcal['count_file'] == 'second/train.json'
    # modes without NorCal leave the roi_head's norcal settings alone
    cfg = load(TOY_STAGE1)
    configure_test_mode(cfg, ['orig', 'tau'])
    assert 'norcal' not in cfg.model.roi_head


def test_calibrated_modes_need_a_simcal_config():
    for mode in ('dual', 'cal', 'all', ['orig', 'dual']):
        cfg = load(TOY_STAGE1)
        with pytest.raises(ValueError, match='needs a SimCal config'):
            configure_test_mode(cfg, mode)
    cfg = load(TOY_STAGE1)
    configure_test_mode(cfg, ['orig', 'tau@2', 'norcal@0.5'])  # every RoI head has these
    assert [e['prefix'] for e in cfg.test_evaluator] == ['orig', 'tau@2', 'norcal@0.5']
    with pytest.raises(ValueError, match="'bogus'"):
        configure_test_mode(load(TOY_STAGE1), ['orig', 'bogus'])


def _instances(score):
    return InstanceData(bboxes=torch.zeros(1, 4), scores=torch.tensor([score]),
                        labels=torch.tensor([0]))


def test_instances_by_mode_with_and_without_per_mode_fields():
    main = _instances(0.9)
    sample = DetDataSample(metainfo=dict(img_id=1))
    sample.pred_instances = main
    assert instances_by_mode(sample) == {'': main}
    orig, tau = _instances(0.1), _instances(0.2)
    sample.set_field(orig, 'pred_instances_orig')
    sample.set_field(tau, 'pred_instances_tau@1.5')
    sample.set_field(main, 'pred_instances_dual')
    by_mode = instances_by_mode(sample)
    assert set(by_mode) == {'orig', 'tau@1.5', 'dual'}
    assert by_mode['orig'] is orig and by_mode['tau@1.5'] is tau and by_mode['dual'] is main
    # the ground truth and other fields are not modes
    sample.gt_instances = _instances(1.0)
    assert set(instances_by_mode(sample)) == {'orig', 'tau@1.5', 'dual'}
