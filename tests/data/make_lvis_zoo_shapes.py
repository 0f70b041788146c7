"""Write ``mmdet_reference/lvis_zoo_state_shapes.json.gz``: the weight names and shapes of
mmdetection 3.3's LVIS model-zoo Mask R-CNNs (R-50/R-101, LVIS v0.5/v1), which its
published checkpoints hold. Run with mmdetection 3.3 installed (a separate environment:
both packages are called ``mmdet``):

    python tests/data/make_lvis_zoo_shapes.py
"""
import gzip
import json
from pathlib import Path

import mmdet
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

# our config name (mmdetection 2.x's model name) -> mmdetection 3.3's config
CONFIGS = {
    'mask_rcnn_r50_fpn_sample1e-3_mstrain_2x_lvis_v0.5': 'mask-rcnn_r50_fpn_sample1e-3_ms-2x_lvis-v0.5.py',
    'mask_rcnn_r101_fpn_sample1e-3_mstrain_2x_lvis_v0.5': 'mask-rcnn_r101_fpn_sample1e-3_ms-2x_lvis-v0.5.py',
    'mask_rcnn_r50_fpn_sample1e-3_mstrain_1x_lvis_v1': 'mask-rcnn_r50_fpn_sample1e-3_ms-1x_lvis-v1.py',
    'mask_rcnn_r101_fpn_sample1e-3_mstrain_1x_lvis_v1': 'mask-rcnn_r101_fpn_sample1e-3_ms-1x_lvis-v1.py',
    'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5': 'mask-rcnn_x101-32x4d_fpn_sample1e-3_ms-2x_lvis-v0.5.py',
    'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_2x_lvis_v0.5': 'mask-rcnn_x101-64x4d_fpn_sample1e-3_ms-2x_lvis-v0.5.py',
    'mask_rcnn_x101_32x4d_fpn_sample1e-3_mstrain_1x_lvis_v1': 'mask-rcnn_x101-32x4d_fpn_sample1e-3_ms-1x_lvis-v1.py',
    'mask_rcnn_x101_64x4d_fpn_sample1e-3_mstrain_1x_lvis_v1': 'mask-rcnn_x101-64x4d_fpn_sample1e-3_ms-1x_lvis-v1.py',
}


def main():
    register_all_modules()
    root = Path(mmdet.__file__).parent / '.mim' / 'configs' / 'lvis'
    shapes = {}
    for name, config in CONFIGS.items():
        cfg = Config.fromfile(str(root / config))
        cfg.model.backbone.init_cfg = None
        model = MODELS.build(cfg.model)
        shapes[name] = dict(config=f'mmdetection {mmdet.__version__} configs/lvis/{config}',
                            state=[[k, list(v.shape)] for k, v in model.state_dict().items()])
    out = Path(__file__).parent / 'mmdet_reference' / 'lvis_zoo_state_shapes.json.gz'
    with gzip.open(out, 'wt', encoding='utf-8') as f:
        json.dump(shapes, f)
    print(out, {k: len(v['state']) for k, v in shapes.items()})


if __name__ == '__main__':
    main()
