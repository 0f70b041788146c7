"""mmdetection 3.3's training data pipeline timed like ours in
``benchmark_data_pipeline.py``, run by mmdetection's own Python (``--mmdet-python``) on
the same generated files. Not imported by the toolbox: it runs where ``import mmdet`` is
mmdetection (start it from a folder that is no source checkout).

The dataset is its ``CocoDataset`` on the COCO-format copy of the LVIS file (its
``LVISV05Dataset`` needs the official ``lvis`` package; the copy holds the same images and
instances, file names as its ``LVISV05Dataset`` derives them), the classes being the
file's 1,230 categories, with the training filter of its LVIS config; the pipeline is the
one given (``--pipeline``, the JSON of our config's ``train_pipeline``) built from its
own transforms. Prints one JSON line (:func:`pipeline_timing.time_dataset`).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pipeline_timing import one_worker_threads, time_dataset  # noqa: E402


def build(data: dict, pipeline: list):
    from mmengine.registry import init_default_scope

    from mmdet.datasets import CocoDataset
    from mmdet.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmdet')
    with open(data['coco_ann_file']) as f:
        categories = sorted(json.load(f)['categories'], key=lambda c: c['id'])
    return CocoDataset(ann_file=data['coco_ann_file'], data_root=data['data_root'],
                       data_prefix=dict(img='train2017/'),
                       metainfo=dict(classes=tuple(c['name'] for c in categories)),
                       filter_cfg=dict(filter_empty_gt=True, min_size=32),
                       pipeline=pipeline, backend_args=None)


def as_tuples(value):
    """JSON's lists back into the tuples of the config (mmcv wants a tuple scale)."""
    if isinstance(value, dict):
        return {k: as_tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(as_tuples(v) for v in value)
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data', required=True, help="the benchmark's data JSON")
    parser.add_argument('--pipeline', required=True, help='the train pipeline as JSON')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    one_worker_threads()
    with open(args.data) as f:
        data = json.load(f)
    dataset = build(data, [as_tuples(t) for t in json.loads(args.pipeline)])
    print(json.dumps(time_dataset(dataset, args.seed)))


if __name__ == '__main__':
    main()
