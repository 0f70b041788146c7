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


def test_mmdet3_runner_checkpoint_tests_and_calibrates(toy, test_data, tmp_path):
    """A checkpoint as mmengine's runner writes it (numpy meta, HistoryBuffer log
    scalars, optimizer and scheduler states) is read weights-only and loads strictly."""
    from mmdet.apis import run_calibration
    _, cfg, data_root = toy
    ckpt = test_data('mmdet_reference/mmdet3_runner_checkpoint.pth')
    metrics = run_test(cfg, ckpt, tmp_path / 'test')
    assert 'lvis/bbox_AP' in metrics
    calib_cfg = tmp_path / 'calib.py'
    calib_cfg.write_text(f"""
_base_ = ['{SIMCAL_TOY}']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)))
train_dataloader = dict(batch_sampler=dict(num_classes_per_iter=4),
                        dataset=dict(dataset=dict(data_root=data_root)))
train_cfg = dict(max_iters=1)
param_scheduler = []
default_hooks = dict(checkpoint=dict(interval=1))
custom_hooks = []
""")
    final = run_calibration(build_calibration_cfg(str(calib_cfg), load_from=str(ckpt),
                                                  work_dir=str(tmp_path / 'calib')))
    calibrated = read_checkpoint(final)['state_dict']
    detector = read_checkpoint(ckpt)['state_dict']
    assert torch.equal(calibrated['neck.fpn_convs.0.conv.weight'],
                       detector['neck.fpn_convs.0.conv.weight'])
