"""Fixtures of the fault-injection tests: a tiny generated LVIS-format set, its config
and checkpoints of the config's model (random weights: these tests check what the
toolbox accepts and refuses, not accuracy)."""
import pytest

from reliability_testing import REPO, save_model_checkpoint

NUM_CLASSES = 8


@pytest.fixture(scope='session')
def toy(tmp_path_factory):
    """``(root, config path, data_root)`` of an 8-class toy set: 12 training and 4
    validation images of 64x64, one epoch of 3 iterations."""
    from mmdet.testing import make_toy_lvis
    root = tmp_path_factory.mktemp('reliability')
    paths = make_toy_lvis(root / 'data', num_classes=NUM_CLASSES, num_train_images=12,
                          num_val_images=4, image_size=(64, 64), seed=1)
    data_root = str(paths['data_root']) + '/'
    cfg = root / 'toy.py'
    cfg.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes={NUM_CLASSES}),
                           mask_head=dict(num_classes={NUM_CLASSES})))
train_dataloader = dict(batch_size=4, dataset=dict(data_root=data_root))
val_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/lvis_toy_val.json',
                     train_ann_file=data_root + 'annotations/lvis_toy_train.json')
test_evaluator = val_evaluator
train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = [dict(type='MultiStepLR', begin=0, end=2, by_epoch=True, milestones=[1])]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
custom_hooks = []
randomness = dict(seed=0, deterministic=True)
""")
    return root, cfg, data_root


@pytest.fixture(scope='session')
def model_ckpt(toy):
    """A checkpoint of the toy config's model (8 classes)."""
    root, cfg, _ = toy
    return save_model_checkpoint(cfg, root / 'model_8.pth')
