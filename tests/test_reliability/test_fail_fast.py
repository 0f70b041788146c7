"""Inputs that cannot give a meaningful number fail before the first image or step;
what fails at evaluation time first writes the predictions of the pass."""
import json
import pickle

import pytest

from lvis_api import LVISEval
from lvis_api.errors import LVISFormatError
from mmdet.models.roi_heads.standard_roi_head import StandardRoIHead
from reliability_testing import REPO, run_test, run_train, save_model_checkpoint

SIMCAL_TOY = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


@pytest.fixture
def no_images(monkeypatch):
    """Fails the test if the model is asked to predict an image."""
    def predict(*args, **kwargs):
        raise AssertionError('an image was run before the inputs were checked')
    monkeypatch.setattr(StandardRoIHead, 'predict_outputs', predict)


def _simcal_config(tmp_path, data_root):
    cfg = tmp_path / 'simcal_toy.py'
    cfg.write_text(f"""
_base_ = ['{SIMCAL_TOY}']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_toy_val.json',
                      train_ann_file=data_root + 'annotations/lvis_toy_train.json')
""")
    return cfg


@pytest.mark.parametrize('mode', ['cal', 'dual', 'all'])
def test_calibrated_modes_need_calibration_weights(toy, model_ckpt, tmp_path, no_images, mode):
    _, _, data_root = toy
    cfg = _simcal_config(tmp_path, data_root)
    with pytest.raises(RuntimeError, match='holds no calibration weights'):
        run_test(cfg, model_ckpt, tmp_path / 'work', mode=mode)


def test_uncalibrated_checkpoint_runs_in_orig_mode(toy, model_ckpt, tmp_path):
    _, _, data_root = toy
    metrics = run_test(_simcal_config(tmp_path, data_root), model_ckpt, tmp_path / 'work',
                       mode='orig')
    assert 'lvis/bbox_AP' in metrics


def test_coco_ground_truth_fails_before_the_pass(toy, model_ckpt, tmp_path, no_images):
    _, cfg, data_root = toy
    with open(data_root + 'annotations/lvis_toy_val.json') as f:
        coco = json.load(f)
    for img in coco['images']:
        img.pop('neg_category_ids')
        img.pop('not_exhaustive_category_ids')
    (tmp_path / 'coco_val.json').write_text(json.dumps(coco))
    with pytest.raises(LVISFormatError, match=r'coco_val\.json: 4 of 4 images have no list '
                       "'neg_category_ids'"):
        run_test(cfg, model_ckpt, tmp_path / 'work', cfg_options={
            'test_evaluator.ann_file': str(tmp_path / 'coco_val.json')})


def test_more_classes_than_the_dataset_fail_before_the_pass(toy, tmp_path, no_images):
    _, cfg, _ = toy
    options = {'model.roi_head.bbox_head.num_classes': 10,
               'model.roi_head.mask_head.num_classes': 10}
    ckpt = save_model_checkpoint(cfg, tmp_path / 'model_10.pth', cfg_options=options)
    with pytest.raises(ValueError, match=r'test set .* has 8 classes, the model 10'):
        run_test(cfg, ckpt, tmp_path / 'work', cfg_options=options)


def test_fewer_classes_than_the_dataset_fail_before_training(toy, tmp_path):
    _, cfg, _ = toy
    with pytest.raises(ValueError, match=r'training set .* has 8 classes, the model 5'):
        run_train(cfg, tmp_path / 'work', cfg_options={
            'model.roi_head.bbox_head.num_classes': 5,
            'model.roi_head.mask_head.num_classes': 5})


def test_missing_train_counts_file_fails_before_the_pass(toy, model_ckpt, tmp_path, no_images):
    _, cfg, _ = toy
    with pytest.raises(FileNotFoundError, match='nowhere.json'):
        run_test(cfg, model_ckpt, tmp_path / 'work', cfg_options={
            'test_evaluator.train_ann_file': str(tmp_path / 'nowhere.json')})


def test_predictions_are_written_when_the_evaluation_fails(toy, model_ckpt, tmp_path,
                                                           monkeypatch):
    _, cfg, _ = toy

    def broken(self):
        raise RuntimeError('evaluation broke')
    monkeypatch.setattr(LVISEval, 'run', broken)
    work, out = tmp_path / 'work', tmp_path / 'out' / 'results.pkl'
    with pytest.raises(RuntimeError, match='evaluation broke') as err:
        run_test(cfg, model_ckpt, work, out=str(out))
    rescued = work / 'LVISMetric.unevaluated.pkl'
    assert str(rescued) in ''.join(getattr(err.value, '__notes__', []))
    with open(out, 'rb') as f:
        dumped = pickle.load(f)
    with open(rescued, 'rb') as f:
        kept = pickle.load(f)
    assert len(dumped) == len(kept) == 4
    assert [r['img_id'] for r in dumped] == [r['img_id'] for r in kept]
    assert not list((work / 'result_shards').glob('*.pkl'))  # scratch files removed
