import torch
from torchvision.ops import roi_align

from mmdet.models.roi_heads.roi_extractors.single_level_roi_extractor import (
    SingleRoIExtractor, map_roi_levels)


def test_level_mapping_boundaries():
    # sqrt(area) 55.9 -> level 0, 56 -> 0, 112 -> 1, 224 -> 2, 448 -> 3, 2000 -> 3 (clamped)
    sides = torch.tensor([10., 55.9, 111.9, 112., 224., 448., 2000.])
    rois = torch.stack([torch.zeros(7), torch.zeros(7), torch.zeros(7), sides, sides], 1)
    assert map_roi_levels(rois, 4).tolist() == [0, 0, 0, 1, 2, 3, 3]


def test_extractor_pools_each_roi_from_its_level():
    torch.manual_seed(0)
    feats = [torch.randn(2, 4, 64 // s, 64 // s) for s in (1, 2, 4, 8)]
    ext = SingleRoIExtractor(dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                             out_channels=4, featmap_strides=[1, 2, 4, 8])
    rois = torch.tensor([[0, 1., 2., 20., 30.], [1, 0., 0., 63., 63.], [1, 5., 5., 250., 250.],
                         [0, 3., 3., 130., 126.]])
    out = ext(feats, rois)
    levels = map_roi_levels(rois, 4)
    for i, lvl in enumerate(levels.tolist()):
        stride = (1, 2, 4, 8)[lvl]
        expected = roi_align(feats[lvl], rois[i:i + 1], 7, 1 / stride, 0, True)
        assert torch.equal(out[i:i + 1], expected)
    assert ext(feats, torch.zeros(0, 5)).shape == (0, 4, 7, 7)
