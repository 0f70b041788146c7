"""Config mistakes are errors that name the key, file and line, or what is missing."""
import pytest

from mmdet.apis import build_test_cfg, build_train_cfg
from mmdet.apis.config import check_option_keys, load_config
from reliability_testing import REPO

TINY = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py'


def test_cfg_option_typo_is_an_error_with_the_closest_key(toy):
    _, cfg, _ = toy
    with pytest.raises(KeyError, match="no 'train_dataloder' in the top level; did you mean "
                       "'train_dataloader'"):
        build_train_cfg(str(cfg), cfg_options={'train_dataloder.batch_size': 2})
    with pytest.raises(KeyError, match="no 'num_clases' in model.roi_head.bbox_head; did you "
                       "mean 'model.roi_head.bbox_head.num_classes'"):
        build_train_cfg(str(cfg), cfg_options={'model.roi_head.bbox_head.num_clases': 2})


def test_cfg_options_set_existing_keys_list_items_and_explicit_new_keys(toy):
    _, cfg, _ = toy
    built = load_config(str(cfg), cfg_options={
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.pipeline.1.with_mask': False,
        '+env_cfg.new_setting': 3})
    assert built.train_dataloader.batch_size == 2
    assert built.train_dataloader.dataset.pipeline[1].with_mask is False
    assert built.env_cfg.new_setting == 3
    with pytest.raises(KeyError, match='pipeline'):
        check_option_keys(built, {'train_dataloader.dataset.pipeline.9.with_mask': False})


def test_syntax_error_names_the_base_file_and_line(tmp_path):
    (tmp_path / 'base.py').write_text('a = 1\nb = dict(x=1\n')
    (tmp_path / 'top.py').write_text("_base_ = ['./base.py']\nc = 2\n")
    with pytest.raises(SyntaxError, match=r'base\.py, line 2'):
        load_config(str(tmp_path / 'top.py'))
    (tmp_path / 'top2.py').write_text("c = 2 +\n")
    with pytest.raises(SyntaxError, match=r'top2\.py, line 1'):
        load_config(str(tmp_path / 'top2.py'))


def test_model_only_config_says_what_training_needs():
    with pytest.raises(ValueError, match=r'mask_rcnn_r18c16_fpn_tiny\.py cannot train: it '
                       'defines no train_dataloader, train_cfg, optim_wrapper'):
        build_train_cfg(str(TINY))
    with pytest.raises(ValueError, match='cannot test: it defines no test_dataloader'):
        build_test_cfg(str(TINY), 'model.pth')
