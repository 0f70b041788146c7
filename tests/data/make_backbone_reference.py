"""Write ``mmdet_reference/resnext_dcn_small.pt``: small ResNeXt backbones with DCN and
DCNv2 stages run by mmdetection 3.3 (mmcv 2.1.0's compiled deformable convolutions) on
the CPU, with the image and weights drawn from seeds (``tests/seeded_weights.py``; only
the seeds and the outputs of the deformable stages are stored), and
``mmdet_reference/x101_64x4d_dcn_mask_rcnn_shapes.json.gz``: the weight names and shapes
of mmdetection's X101-64x4d-DCN Mask R-CNN. Run with mmdetection 3.3 installed (a
separate environment: both packages are named ``mmdet``):

    python tests/data/make_backbone_reference.py
"""
import gzip
import json
import sys
from pathlib import Path

import mmdet
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from seeded_weights import seeded_state  # noqa: E402

BACKBONES = {  # name: (config, stages whose outputs are kept)
    'resnext50_g2_dcn_c3_c5': (dict(
        type='ResNeXt', depth=50, groups=2, base_width=4, base_channels=8,
        dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
        stage_with_dcn=(False, True, True, True)), (1, 2, 3)),
    'resnext50_g4w8_dcnv2_dg2_c4_c5': (dict(
        type='ResNeXt', depth=50, groups=4, base_width=8, base_channels=8, style='caffe',
        dcn=dict(type='DCNv2', deform_groups=2, fallback_on_stride=False),
        stage_with_dcn=(False, False, True, True)), (2, 3)),
}
SEED = 7
IMAGE_SEED, IMAGE_SHAPE = 11, (1, 3, 96, 104)  # mmcv's DCN needs maps of 3x3 or more


def main():
    register_all_modules()
    image = torch.randn(*IMAGE_SHAPE, generator=torch.Generator().manual_seed(IMAGE_SEED))
    outputs = {}
    for name, (cfg, kept) in BACKBONES.items():
        model = MODELS.build(dict(cfg, norm_eval=True, frozen_stages=-1))
        model.eval()
        shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
        model.load_state_dict(seeded_state(shapes, SEED), strict=True)
        with torch.no_grad():
            stages = model(image)
        outputs[name] = {i: stages[i].clone() for i in kept}
    configs = Path(mmdet.__file__).parent / '.mim' / 'configs'
    cfg = Config.fromfile(str(configs / 'mask_rcnn' / 'mask-rcnn_x101-64x4d_fpn_1x_coco.py'))
    cfg.model.backbone.update(dcn=dict(type='DCN', deform_groups=1, fallback_on_stride=False),
                              stage_with_dcn=(False, True, True, True), init_cfg=None)
    x101 = MODELS.build(cfg.model)
    torch.save(dict(
        notes=f'mmdetection {mmdet.__version__} (mmcv 2.1.0 ops), CPU, float32, eval mode. '
              'backbones: name -> (config, kept stages); weights = '
              'tests/seeded_weights.seeded_state(state-dict shapes, seed); image = '
              'torch.randn(image_shape, generator=torch.Generator().manual_seed(image_seed)); '
              'outputs: name -> {stage index: output}.',
        backbones=BACKBONES, seed=SEED, image_seed=IMAGE_SEED, image_shape=IMAGE_SHAPE,
        outputs=outputs), HERE / 'mmdet_reference' / 'resnext_dcn_small.pt')
    shapes = dict(config=f'mmdetection {mmdet.__version__} configs/mask_rcnn/'
                         "mask-rcnn_x101-64x4d_fpn_1x_coco.py with dcn=dict(type='DCN', "
                         'deform_groups=1), stage_with_dcn=(False, True, True, True)',
                  state=[[k, list(v.shape)] for k, v in x101.state_dict().items()])
    with gzip.open(HERE / 'mmdet_reference' / 'x101_64x4d_dcn_mask_rcnn_shapes.json.gz', 'wt',
                   encoding='utf-8') as f:
        json.dump(shapes, f)
    print({k: {i: tuple(o.shape) for i, o in v.items()} for k, v in outputs.items()})


if __name__ == '__main__':
    main()
