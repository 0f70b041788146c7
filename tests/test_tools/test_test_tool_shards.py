"""tools/test.py: DumpDetResults streams to shards and writes the same pickle as before;
the evaluators get their shard folder under the work dir."""
import importlib.util
import pickle
import sys
from pathlib import Path

import pytest
import torch

from mmdet.evaluation import encode_masks
from mmdet.structures import DetDataSample, InstanceData
from tool_testing import assert_same_values

REPO = Path(__file__).resolve().parents[2]
TOY_CONFIG = REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'


@pytest.fixture(scope='module')
def test_tool():
    """tools/test.py as a module (imported once: it registers DumpDetResults)."""
    name = 'tools_test_for_tests'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / 'tools' / 'test.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def _samples(num_images=5, seed=0):
    """Predictions as ``Evaluator.process`` hands them to a metric (``to_dict()``)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(num_images):
        n, h, w = 2 + i % 3, 20 + i, 30
        xy = torch.rand(n, 2, generator=gen) * 10
        boxes = torch.cat([xy, xy + 5 + torch.rand(n, 2, generator=gen) * 10], 1)
        masks = torch.rand(n, h, w, generator=gen) > 0.5
        sample = DetDataSample(metainfo=dict(img_id=100 + i, img_path=f'img{i}.jpg',
                                             ori_shape=(h, w)))
        sample.pred_instances = InstanceData(
            bboxes=boxes, scores=torch.rand(n, generator=gen),
            labels=torch.randint(0, 8, (n,), generator=gen), masks=masks)
        out.append(sample.to_dict())
    return out


def _previous_format(samples):
    """What DumpDetResults always wrote: a list of per-image dicts in dataset order,
    masks as RLEs with str counts."""
    out = []
    for sample in samples:
        pred = {k: v.cpu().numpy() for k, v in sample['pred_instances'].items()
                if k != 'masks'}
        masks = sample['pred_instances']['masks']
        pred['masks'] = ([dict(m, counts=m['counts'].decode()) if isinstance(m['counts'], bytes)
                          else m for m in masks] if isinstance(masks, list)
                         else encode_masks(masks))
        out.append(dict(img_id=sample['img_id'], img_path=sample['img_path'],
                        ori_shape=sample['ori_shape'], pred_instances=pred))
    return out


@pytest.mark.parametrize('rle_masks', [False, True])
def test_dump_det_results_streams_and_keeps_its_format(test_tool, tmp_path, rle_masks):
    samples = _samples()
    if rle_masks:  # as a head with mask_format='rle' gives them (bytes or str counts)
        for i, sample in enumerate(samples):
            rles = encode_masks(sample['pred_instances']['masks'])
            sample['pred_instances']['masks'] = [
                dict(r, counts=r['counts'].encode()) if i % 2 else r for r in rles]
    out = tmp_path / 'out' / 'results.pkl'
    shard_dir = tmp_path / 'work' / 'result_shards'
    metric = test_tool.DumpDetResults(str(out), shard_dir=str(shard_dir))
    metric.process({}, samples[:3])
    metric.process({}, samples[3:])
    metric.process({}, samples[:1])  # padding past the dataset size: dropped
    assert len(list(shard_dir.iterdir())) == 1 and not metric.results
    assert metric.evaluate(len(samples)) == {}
    with open(out, 'rb') as f:
        assert_same_values(pickle.load(f), _previous_format(samples))
    assert [p.name for p in out.parent.iterdir()] == ['results.pkl']  # no temporary file
    assert not shard_dir.exists()


def test_dump_det_results_needs_a_pickle_path(test_tool):
    with pytest.raises(ValueError, match='--out must be a .pkl file'):
        test_tool.DumpDetResults('results.json')


def test_shard_folder_under_the_work_dir(test_tool, tmp_path):
    work = tmp_path / 'work'
    args = test_tool.parse_args([str(TOY_CONFIG), 'model.pth', '--work-dir', str(work),
                                 '--out', str(tmp_path / 'r.pkl')])
    cfg = test_tool.build_cfg(args)
    assert [(e['type'], e['shard_dir']) for e in cfg.test_evaluator] == [
        ('LVISMetric', str(work / 'result_shards')),
        ('DumpDetResults', str(work / 'result_shards'))]
    args = test_tool.parse_args([str(TOY_CONFIG), 'model.pth', '--work-dir', str(work),
                                 '--cfg-options', 'test_evaluator.shard_dir=/shared/shards'])
    assert test_tool.build_cfg(args).test_evaluator[0]['shard_dir'] == '/shared/shards'
