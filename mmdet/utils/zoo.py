"""Published checkpoints by name: ``zoo://NAME`` wherever a checkpoint is read
(``load_from``, the CKPT argument of the tools, ``init_detector``).

mmdetection's LVIS models (Mask R-CNN R-50, R-101, X-101-32x4d and X-101-64x4d with
repeat factor sampling, t = 1e-3, and multi-scale training; mmdetection 2.x layout and
numerics) are listed under their
mmdetection names; each has the config of the same name in ``configs/lvis/``. Their
file names end in a sha256 prefix, which the download checks.
"""
from typing import Dict, NamedTuple


class ZooModel(NamedTuple):
    url: str
    config: str
    box_ap: float  # published (mmdetection's model zoo), not measured here
    mask_ap: float


_MMDET_LVIS = 'https://download.openmmlab.com/mmdetection/v2.0/lvis'

ZOO: Dict[str, ZooModel] = {
    'mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis/'
        'mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis-dbd06831.pth',
        'configs/lvis/mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py', 26.1, 25.9),
    'mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis_v0.5': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis/'
        'mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis-54582ee2.pth',
        'configs/lvis/mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py', 27.1, 27.0),
    'mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1/'
        'mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1-aa78ac3d.pth',
        'configs/lvis/mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1.py', 22.5, 21.7),
    'mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1/'
        'mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1-ec55ce32.pth',
        'configs/lvis/mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1.py', 24.6, 23.6),
    'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_2x_lvis/'
        'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_2x_lvis-3cf55ea2.pth',
        'configs/lvis/mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py', 26.7, 26.9),
    'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_2x_lvis/'
        'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_2x_lvis-1c99a5ad.pth',
        'configs/lvis/mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5.py', 26.4, 26.0),
    'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1/'
        'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1-ebbc5c81.pth',
        'configs/lvis/mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1.py', 26.7, 25.5),
    'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1': ZooModel(
        f'{_MMDET_LVIS}/mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1/'
        'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1-43d9edfe.pth',
        'configs/lvis/mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1.py', 27.2, 25.8),
}

