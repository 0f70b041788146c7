"""DumpDetResults (tools/test.py --out) streams to shards and writes a list of per-image
predictions, masks as COCO RLEs."""
import pickle

import pytest
import torch

from mmdet.evaluation import DumpDetResults
from mmdet.structures import DetDataSample, InstanceData, RoIMasks
from mmdet.structures.rle import encode_rle
from tool_testing import assert_same_values


def _samples(num_images=5, seed=0):
    """Predictions as ``Evaluator.process`` hands them to a metric (``to_dict()``)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(num_images):
        n, h, w = 2 + i % 3, 20 + i, 30
        xy = torch.rand(n, 2, generator=gen) * 10
        boxes = torch.cat([xy, xy + 5 + torch.rand(n, 2, generator=gen) * 10], 1)
        masks = RoIMasks(torch.rand(n, 28, 28, generator=gen), boxes, (h, w))
        sample = DetDataSample(metainfo=dict(img_id=100 + i, img_path=f'img{i}.jpg',
                                             ori_shape=(h, w)))
        sample.pred_instances = InstanceData(
            bboxes=boxes, scores=torch.rand(n, generator=gen),
            labels=torch.randint(0, 8, (n,), generator=gen), masks=masks)
        out.append(sample.to_dict())
    return out


def _previous_format(samples):
    """What DumpDetResults always wrote: a list of per-image dicts in dataset order,
    masks as RLEs with str counts; the fields in a fixed order (bboxes, scores, labels,
    then the others by name, masks last) whatever the process's string hashing."""
    out = []
    for sample in samples:
        pred = {k: sample['pred_instances'][k].cpu().numpy()
                for k in ('bboxes', 'scores', 'labels')}
        pred['masks'] = encode_rle(sample['pred_instances']['masks'].to_bitmap())
        out.append(dict(img_id=sample['img_id'], img_path=sample['img_path'],
                        ori_shape=sample['ori_shape'], pred_instances=pred))
    return out


def test_dump_det_results_streams_and_keeps_its_format(tmp_path):
    samples = _samples()
    out = tmp_path / 'out' / 'results.pkl'
    shard_dir = tmp_path / 'work' / 'result_shards'
    metric = DumpDetResults(str(out), shard_dir=str(shard_dir))
    metric.process({}, samples[:3])
    metric.process({}, samples[3:])
    metric.process({}, samples[:1])  # padding past the dataset size: dropped
    assert len(list(shard_dir.iterdir())) == 1 and not metric.results
    assert metric.evaluate(len(samples)) == {}
    with open(out, 'rb') as f:
        assert_same_values(pickle.load(f), _previous_format(samples))
    assert [p.name for p in out.parent.iterdir()] == ['results.pkl']  # no temporary file
    assert not shard_dir.exists()


def test_dump_det_results_needs_a_pickle_path():
    with pytest.raises(ValueError, match='--out must be a .pkl file'):
        DumpDetResults('results.json')
