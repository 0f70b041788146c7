"""Checkpoints must fit the model that runs, or the run stops (testing, calibrating,
fine-tuning, init_detector); deliberate partial loads are listed in the config."""
import pytest
import torch

from mmdet.apis import build_calibration_cfg, init_detector
from mmdet.utils import CheckpointError, read_checkpoint
from reliability_testing import REPO, run_test, run_train, save_model_checkpoint

SIMCAL_TOY = REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py'


def test_empty_state_dict_is_refused_by_test(toy, tmp_path):
    _, cfg, _ = toy
    torch.save({'state_dict': {}}, tmp_path / 'empty.pth')
    with pytest.raises(CheckpointError, match=r'weights of the model are missing from .*'
                       r'empty\.pth: backbone\.conv1\.weight'):
        run_test(cfg, tmp_path / 'empty.pth', tmp_path / 'work')


def test_checkpoint_for_other_classes_is_refused_by_test(toy, tmp_path):
    _, cfg, _ = toy
    ckpt = save_model_checkpoint(cfg, tmp_path / 'model_50.pth', cfg_options={
        'model.roi_head.bbox_head.num_classes': 50, 'model.roi_head.mask_head.num_classes': 50})
    with pytest.raises(CheckpointError, match=r'roi_head\.bbox_head\.fc_cls\.weight: '
                       r'checkpoint \(51, 64\) vs model \(9, 64\)'):
        run_test(cfg, ckpt, tmp_path / 'work')


def test_missing_weights_allowed_by_partial_load_keep_their_init(toy, model_ckpt, tmp_path):
    _, cfg, _ = toy
    ckpt = save_model_checkpoint(cfg, tmp_path / 'no_mask.pth', drop=('roi_head.mask_head.',))
    with pytest.raises(CheckpointError, match='roi_head.mask_head.convs.0.conv.weight'):
        run_test(cfg, ckpt, tmp_path / 'refused')
    metrics = run_test(cfg, ckpt, tmp_path / 'allowed', cfg_options={
        'partial_load.missing': ['roi_head.mask_head.*']})
    assert 'lvis/segm_AP' in metrics


def test_fine_tuning_from_other_classes_needs_reinit_listed(toy, tmp_path):
    _, cfg, _ = toy
    ckpt = save_model_checkpoint(cfg, tmp_path / 'model_50.pth', cfg_options={
        'model.roi_head.bbox_head.num_classes': 50, 'model.roi_head.mask_head.num_classes': 50})
    options = {'train_cfg.max_epochs': 1, 'load_from': str(ckpt),
               'optim_wrapper.optimizer.lr': 0.0}  # the loaded weights stay as loaded
    with pytest.raises(CheckpointError, match='do not fit the model'):
        run_train(cfg, tmp_path / 'refused', cfg_options=options)
    reinit = ['roi_head.bbox_head.fc_cls.*', 'roi_head.bbox_head.fc_reg.*',
              'roi_head.mask_head.conv_logits.*']
    run_train(cfg, tmp_path / 'allowed',
              cfg_options=dict(options, **{'partial_load.reinit': reinit}))
    loaded = read_checkpoint(ckpt)['state_dict']
    tuned = read_checkpoint(tmp_path / 'allowed' / 'epoch_1.pth')['state_dict']
    assert tuned['roi_head.bbox_head.fc_cls.weight'].shape == (9, 64)
    for key in ('backbone.conv1.weight', 'rpn_head.rpn_conv.weight',
                'roi_head.bbox_head.shared_fcs.0.weight'):  # the weights that fit loaded
        assert torch.equal(tuned[key], loaded[key]), key


def test_calibration_refuses_a_detector_without_neck(toy, tmp_path):
    _, cfg, data_root = toy
    ckpt = save_model_checkpoint(cfg, tmp_path / 'no_neck.pth', drop=('neck.',))
    with pytest.raises(CheckpointError, match='holds no neck weights'):
        build_calibration_cfg(str(SIMCAL_TOY), load_from=str(ckpt),
                              work_dir=str(tmp_path / 'calib'))


def test_init_detector_is_strict(toy, tmp_path):
    _, cfg, _ = toy
    ckpt = save_model_checkpoint(cfg, tmp_path / 'no_rpn.pth', drop=('rpn_head.',))
    with pytest.raises(CheckpointError, match='rpn_head.rpn_conv.weight'):
        init_detector(str(cfg), str(ckpt))


@pytest.mark.parametrize('content', [b'99', b'', b'{"state_dict": {}}', b'garbage' * 100])
def test_a_pth_that_is_not_a_checkpoint_is_named(tmp_path, content):
    path = tmp_path / 'model.pth'
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=r'model\.pth is not a checkpoint'):
        read_checkpoint(path)
