"""mmdetection 3.3's Mask R-CNN R50-FPN timed like our worker in benchmark.py, run by
mmdetection's own Python (``benchmark.py --mmdet-python``): the same weights (our state
dict loads into its model unchanged), images, ground truth and settings. Not imported by
the toolbox: it runs where ``import mmdet`` is mmdetection.

Prints one JSON line: end to end (its ``test_step`` plus RLE-encoding the masks, as its
CocoMetric does), its stages where its API allows (backbone+neck, RPN, RoI heads with
post-processing and mask pasting), one training step on 2 images and the peak memories.
"""
import argparse
import json
import os
import statistics
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_inputs import (Clock, current_rss_mb, make_images, peak_mb,  # noqa: E402
                          random_gt, top_operators)


def build(args):
    import mmdet
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmdet')
    cfg = Config.fromfile(os.path.join(os.path.dirname(mmdet.__file__),
                                       '.mim/configs/mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'))
    cfg.model.backbone.init_cfg = None
    cfg.model.roi_head.bbox_head.num_classes = args.num_classes
    cfg.model.roi_head.mask_head.num_classes = args.num_classes
    cfg.model.test_cfg.rcnn.update(score_thr=args.score_thr, max_per_img=args.max_per_img)
    model = MODELS.build(cfg.model)
    state = torch.load(args.weights, weights_only=True)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith('num_batches_tracked')]
    if missing or unexpected:
        raise RuntimeError(f'weights do not fit mmdetection: missing {missing[:5]}, '
                           f'unexpected {unexpected[:5]}')
    return model.eval()


def batch(images, with_gt=False, num_classes=1230, seed=0):
    from mmdet.structures import DetDataSample
    from mmdet.structures.mask import BitmapMasks
    from mmengine.structures import InstanceData
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for i, img in enumerate(images):
        h, w = img.shape[1:]
        sample = DetDataSample(metainfo=dict(img_id=i, img_shape=(h, w), ori_shape=(h, w),
                                             scale_factor=(1.0, 1.0)))
        if with_gt:
            boxes, labels, masks = random_gt(h, w, num_classes, gen)
            sample.gt_instances = InstanceData(bboxes=boxes, labels=labels,
                                               masks=BitmapMasks(masks.numpy(), h, w))
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)


def encode(samples):
    import numpy as np
    import pycocotools.mask as mask_utils
    for s in samples:
        masks = s.pred_instances.masks.cpu().numpy().astype(np.uint8)
        mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0)))


def infer(args, model, images, clock):
    one = batch(images[:1])
    stages = {}

    def timed(name, fn, *a, **kw):
        out, t = clock(fn, *a, **kw)
        stages[name] = stages.get(name, 0.0) + t
        return out

    with torch.inference_mode():
        data = timed('preprocess', model.data_preprocessor, one, False)
        feats = timed('backbone+neck', model.extract_feat, data['inputs'])
        proposals = timed('rpn', model.rpn_head.predict, feats, data['data_samples'],
                          rescale=False)
        results = timed('roi heads + paste', model.roi_head.predict, feats, proposals,
                        data['data_samples'], rescale=True)
        num = len(results[0])
        _, total = clock(lambda: encode(model.test_step(one)))
    stages['end to end'] = total
    return stages, num


def train_step(args, model, images):
    """The training step as a function (forward, backward, SGD step on 2 images)."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=1e-4, momentum=0.9)

    def step():
        data = model.data_preprocessor(batch(images, True, args.num_classes, args.seed), True)
        losses = model(**data, mode='loss')
        loss, _ = model.parse_losses(losses)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--phase', choices=['infer', 'train'], required=True)
    parser.add_argument('--weights', required=True)
    parser.add_argument('--size', required=True, help='HxW')
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--num-classes', type=int, default=1230)
    parser.add_argument('--score-thr', type=float, default=1e-4)
    parser.add_argument('--max-per-img', type=int, default=300)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--profile', type=int, default=0)
    args = parser.parse_args(argv)
    h, w = (int(v) for v in args.size.lower().split('x'))
    torch.manual_seed(args.seed)
    model = build(args)
    clock = Clock('cpu')
    images = make_images((h, w), 2, args.seed)
    torch.manual_seed(args.seed)
    base = current_rss_mb()
    if args.phase == 'train':
        step = train_step(args, model, images)
        times = [clock(step)[1] for _ in range(args.warmup + args.runs)][args.warmup:]
        result = {'training step (2 images)': statistics.median(times),
                  'peak memory, training (MB)': peak_mb('cpu', base)}
        if args.profile:
            result['top operators'] = top_operators(step, args.profile)
    else:
        runs = []
        for _ in range(args.warmup + args.runs):
            runs.append(infer(args, model, images, clock))
        runs = runs[args.warmup:]
        result = {k: statistics.median(r[0][k] for r in runs) for k in runs[0][0]}
        result['detections per image'] = runs[-1][1]
        result['peak memory, inference (MB)'] = peak_mb('cpu', base)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
