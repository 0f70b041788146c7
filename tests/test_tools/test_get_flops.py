"""tools/analysis/get_flops.py: parameters add up to the model's, and the mask head's
convolution FLOPs are those computed by hand for the detections the model keeps."""
import json

import torch
from mmengine.config import Config

from mmdet.analysis.complexity import flop_counts
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from tool_testing import REPO, load_tool

TINY = str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_tiny.py')


def test_parameters_and_flops(tmp_path, capsys):
    out = tmp_path / 'flops.json'
    result = load_tool('tools/analysis/get_flops.py').main(
        [TINY, '--shape', '64', '96', '--depth', '2', '--out', str(out)])
    assert 'roi_head.mask_head' in capsys.readouterr().out
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    model = MODELS.build(Config.fromfile(TINY).model)
    params = result['params']
    assert params[''] == sum(p.numel() for p in model.parameters())
    top = [k for k in params if k and '.' not in k]
    assert sum(params[k] for k in top) == params['']
    assert params['roi_head.mask_head'] == sum(
        p.numel() for p in model.roi_head.mask_head.parameters())
    flops = result['flops']
    assert 0 < sum(flops[k] for k in flops if k and '.' not in k) <= flops['']


def test_mask_head_flops_by_hand():
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY).model).eval()
    img = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8,
                        generator=torch.Generator().manual_seed(0))
    sample = DetDataSample(metainfo=dict(img_id=0, img_shape=(64, 96), ori_shape=(64, 96),
                                         scale_factor=(1.0, 1.0)))
    with torch.no_grad():
        dets = len(model.test_step(dict(inputs=[img], data_samples=[sample]))[0].pred_instances)
    flops = flop_counts(model, (64, 96), depth=3)
    assert dets > 0
    # four 3x3 convs, 32 -> 32 channels, on 14x14 RoI features: 2 FLOPs per multiply-add
    assert flops['roi_head.mask_head.convs'] == dets * 4 * 2 * 32 * 32 * 9 * 14 * 14
