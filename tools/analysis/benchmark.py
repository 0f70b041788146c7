"""Ours vs torchvision's Mask R-CNN R50-FPN at LVIS settings, side by side in one run,
and mmdetection 3.3's as a third column when ``--mmdet-python`` (or
``$MMDET_PEER_PYTHON``) names a Python that imports it (its worker,
``mmdet_peer_worker.py``, runs there: both packages are called ``mmdet``); or, with
``--cascade``, our Mask R-CNN vs our Cascade Mask R-CNN and HTC R50-FPN (torchvision has
no cascade).

    python tools/analysis/benchmark.py [--sizes 800x1333 400x667] [--runs 5]
    python tools/analysis/benchmark.py --toy      # the toy model at the toy image size
    python tools/analysis/benchmark.py --cascade  # Mask R-CNN vs Cascade Mask R-CNN, HTC
    MMDET_PEER_PYTHON=/tmp/mmdet-peer/bin/python python tools/analysis/benchmark.py

Both detectors are configured alike: 1,230 classes (+ background), score threshold
1e-4, up to 300 detections per image, masks pasted into the image; torchvision's gets
our weights (converted), so both see the same network. The weights are random with a
peaked classifier: ``fc_cls`` is rescaled so that its logits spread over the classes
with a standard deviation of ``--logit-std`` (6 by default) on the first image, which
lets a few thousand (RoI, class) pairs pass 1e-4 (printed), like a trained model
rather than a near-uniform softmax that lets everything pass.

Each line is the median over ``--runs`` after ``--warmup`` untimed runs, in a fresh
subprocess per detector and size, so that peak memory (the rise of the peak RSS over
the loaded model, or CUDA's max allocated) is each one's own. Lines: inference split
into stages (preprocess, backbone+neck, RPN, box head + post-processing, of which the
post-processing, mask head + pasting, of which the pasting), end to end, one training
step on 2 images (forward, backward, SGD step) and the peak memories.
"""
import argparse
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_inputs import (Clock, current_rss_mb, make_images, peak_mb,  # noqa: E402
                          random_gt, top_operators)

LVIS_CONFIG = ROOT / 'configs/lvis/mask_rcnn_r50_fpn_1x_lvis_v1.py'
TOY_CONFIG = ROOT / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'
CASCADE_LVIS_CONFIG = ROOT / 'configs/lvis/cascade_mask_rcnn_r50_fpn_1x_lvis_v1.py'
CASCADE_TOY_CONFIG = ROOT / 'configs/toy/cascade_mask_rcnn_r18c16_fpn_toy_lvis.py'
HTC_LVIS_CONFIG = ROOT / 'configs/lvis/htc_r50_fpn_20e_lvis_v1.py'
# our detectors (Mask R-CNN, Cascade Mask R-CNN, HTC): (toy config, LVIS config)
OURS = {'ours': (TOY_CONFIG, LVIS_CONFIG), 'cascade': (CASCADE_TOY_CONFIG, CASCADE_LVIS_CONFIG),
        'htc': (None, HTC_LVIS_CONFIG)}
STAGES = ('preprocess', 'backbone+neck', 'rpn', 'box head + post', '  box post-processing',
          'mask head + paste', '  mask pasting')


# ----------------------------------------------------------------------------- models
def build_ours(args, impl: str = 'ours'):
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmdet')
    cfg = Config.fromfile(str(OURS[impl][0] if args.toy else OURS[impl][1]))
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None  # no download: the weights are random anyway
    if not args.toy:
        for key in ('bbox_head', 'mask_head'):
            heads = model_cfg.roi_head[key]
            for head in heads if isinstance(heads, list) else [heads]:
                head['num_classes'] = args.num_classes
    model_cfg.test_cfg.rcnn.update(score_thr=args.score_thr, max_per_img=args.max_per_img)
    torch.manual_seed(args.seed)
    model = MODELS.build(model_cfg)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every parameter
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model.eval()




def ours_batch(images, with_gt=False, num_classes=1230, seed=0):
    from mmdet.structures import DetDataSample, InstanceData
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for i, img in enumerate(images):
        h, w = img.shape[1:]
        meta = dict(img_id=i, img_shape=(h, w), ori_shape=(h, w), scale_factor=(1.0, 1.0))
        sample = DetDataSample(metainfo=meta)
        if with_gt:
            boxes, labels, masks = random_gt(h, w, num_classes, gen)
            sample.gt_instances = InstanceData(bboxes=boxes, labels=labels, masks=masks)
        samples.append(sample)
    return dict(inputs=list(images), data_samples=samples)




@torch.inference_mode()
def peak_classifier(model, image, logit_std):
    """Rescale ``fc_cls`` so its logits have ``logit_std`` over the classes on ``image``
    (the box head's inputs are taken from one ``predict`` of the model)."""
    seen = {}
    with wrapped(model.roi_head, 'score_rois', lambda out: seen.update(out)):
        model.predict(**model.data_preprocessor(ours_batch([image]), False))
    heads = model.roi_head.bbox_head  # a cascade's stages: their MEAN logits are peaked
    heads = list(heads) if isinstance(heads, torch.nn.ModuleList) else [heads]
    x = seen['bbox_feats']
    mean_logits = lambda: sum(h.fc_cls(h.shared_features(x)) for h in heads) / len(heads)  # noqa: E731
    scale = logit_std / mean_logits()[:, :-1].std(dim=1).mean().item()  # linear in scale
    for head in heads:
        head.fc_cls.weight.mul_(scale)
        head.fc_cls.bias.mul_(scale)
    scores = torch.softmax(mean_logits(), dim=1)[:, :-1]
    return int((scores > model.test_cfg['rcnn']['score_thr']).sum()), x.shape[0]


def to_torchvision_state(ours: dict) -> dict:
    """Our (mmdetection-named) R50-FPN Mask R-CNN weights as torchvision's MaskRCNN keys.

    torchvision puts background first in the classifier and has box/mask outputs for it.
    """
    out = {}
    for key, value in ours.items():
        if key.startswith('backbone.'):
            out['backbone.body.' + key[len('backbone.'):]] = value
        elif key.startswith('neck.'):
            parts = key.split('.')  # neck.lateral_convs.0.conv.weight
            block = dict(lateral_convs='inner_blocks', fpn_convs='layer_blocks')[parts[1]]
            out[f'backbone.fpn.{block}.{parts[2]}.0.{parts[4]}'] = value
    rename = {
        'rpn_head.rpn_conv': 'rpn.head.conv.0.0', 'rpn_head.rpn_cls': 'rpn.head.cls_logits',
        'rpn_head.rpn_reg': 'rpn.head.bbox_pred',
        'roi_head.bbox_head.shared_fcs.0': 'roi_heads.box_head.fc6',
        'roi_head.bbox_head.shared_fcs.1': 'roi_heads.box_head.fc7',
        'roi_head.mask_head.upsample': 'roi_heads.mask_predictor.conv5_mask'}
    rename.update({f'roi_head.mask_head.convs.{i}.conv': f'roi_heads.mask_head.{i}.0'
                   for i in range(4)})
    for src, dst in rename.items():
        for p in ('weight', 'bias'):
            out[f'{dst}.{p}'] = ours[f'{src}.{p}']

    def background_first(value, rows_per_class, from_last):
        bg = (value[-rows_per_class:] if from_last
              else torch.zeros_like(value[:rows_per_class]))
        fg = value[:-rows_per_class] if from_last else value
        return torch.cat([bg, fg])

    for p in ('weight', 'bias'):
        out[f'roi_heads.box_predictor.cls_score.{p}'] = background_first(
            ours[f'roi_head.bbox_head.fc_cls.{p}'], 1, True)
        out[f'roi_heads.box_predictor.bbox_pred.{p}'] = background_first(
            ours[f'roi_head.bbox_head.fc_reg.{p}'], 4, False)
        out[f'roi_heads.mask_predictor.mask_fcn_logits.{p}'] = background_first(
            ours[f'roi_head.mask_head.conv_logits.{p}'], 1, False)
    return out


def build_torchvision(args, size, state):
    from torchvision.models import resnet50
    from torchvision.models.detection import MaskRCNN
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
    from torchvision.ops.misc import FrozenBatchNorm2d

    # The usual detection setup: frozen BN, stem and layer1 frozen (3 trainable layers).
    backbone = _resnet_fpn_extractor(resnet50(norm_layer=FrozenBatchNorm2d), 3)
    model = MaskRCNN(backbone, num_classes=args.num_classes + 1, min_size=min(size),
                     max_size=max(size), box_score_thresh=args.score_thr,
                     box_detections_per_img=args.max_per_img)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any('num_batches_tracked' not in k for k in missing):
        raise RuntimeError(f'weight conversion: missing {missing}, unexpected {unexpected}')
    return model.eval()


# --------------------------------------------------------------------------- timing


@contextlib.contextmanager
def wrapped(obj, name, before=None, after=None, sync=lambda: None):
    """Call ``before(*args)`` before and ``after(seconds)`` after each call of
    ``obj.name`` (timed between ``sync()`` calls); an instance attribute shadows the
    method while the context lasts."""
    original = getattr(obj, name)

    def wrapper(*args, **kwargs):
        if before is not None:
            before(*args)
        sync()
        start = time.perf_counter()
        out = original(*args, **kwargs)
        sync()
        if after is not None:
            after(time.perf_counter() - start)
        return out
    setattr(obj, name, wrapper)
    try:
        yield
    finally:
        delattr(obj, name)


def encode_masks(samples, mask_encoding):
    """What the consumer of the predictions does: encode the masks (tools/test.py: RLE)."""
    for sample in samples:
        masks = sample.pred_instances.masks
        masks.to_rle() if mask_encoding == 'rle' else masks.to_bitmap()


# The model's own steps, timed where they run inside ``test_step``: stage -> methods.
def ours_steps(model):
    roi_head = model.roi_head
    return {'preprocess': [(model.data_preprocessor, 'forward')],
            'backbone+neck': [(model, 'extract_feat')],
            'rpn': [(model.rpn_head, 'predict'), (model, 'roi_features')],
            'box head + post': [(roi_head, 'bbox_forward'), (roi_head, 'score_rois'),
                                (roi_head.final_bbox_head, 'predict_by_feat')],
            '  box post-processing': [(roi_head.final_bbox_head, 'predict_by_feat')],
            'mask head + paste': [(roi_head, 'predict_masks')],
            '  mask pasting': [(roi_head.final_mask_head, 'predict_by_feat')]}


def ours_stages(model, batch, clock, mask_encoding):
    """One ``test_step`` plus the mask encoding, with each stage's methods timed."""
    t = dict.fromkeys(STAGES, 0.0)
    stages_of = {}  # each method once, with every stage it counts for
    for stage, methods in ours_steps(model).items():
        for obj, name in methods:
            stages_of.setdefault((id(obj), name), (obj, name, []))[2].append(stage)

    def count(stages):
        def after(seconds):
            for stage in stages:
                t[stage] += seconds
        return after
    with contextlib.ExitStack() as stack:
        for obj, name, stages in stages_of.values():
            stack.enter_context(wrapped(obj, name, after=count(stages), sync=clock.sync))
        samples = model.test_step(batch)
    _, t_encode = clock(encode_masks, samples, mask_encoding)
    t['mask head + paste'] += t_encode
    t['  mask pasting'] += t_encode
    return t, sum(len(s.pred_instances) for s in samples)


def torchvision_stages(model, images, clock):
    from torchvision.models.detection.roi_heads import maskrcnn_inference
    rh = model.roi_heads
    t = {}
    original_sizes = [tuple(img.shape[-2:]) for img in images]
    (image_list, _), t['preprocess'] = clock(model.transform, images)
    feats, t['backbone+neck'] = clock(model.backbone, image_list.tensors)
    (proposals, _), t['rpn'] = clock(model.rpn, image_list, feats)
    sizes = image_list.image_sizes

    def box_head():
        x = rh.box_head(rh.box_roi_pool(feats, proposals, sizes))
        return rh.box_predictor(x)

    def box_post(cls, reg):
        return rh.postprocess_detections(cls, reg, proposals, sizes)

    (cls, reg), t_head = clock(box_head)
    (boxes, scores, labels), t['  box post-processing'] = clock(box_post, cls, reg)
    t['box head + post'] = t_head + t['  box post-processing']

    def mask_head():
        x = rh.mask_predictor(rh.mask_head(rh.mask_roi_pool(feats, boxes, sizes)))
        return maskrcnn_inference(x, labels)

    def paste(probs):
        dets = [dict(boxes=b, scores=s, labels=lab, masks=m)
                for b, s, lab, m in zip(boxes, scores, labels, probs)]
        return model.transform.postprocess(dets, sizes, original_sizes)

    probs, t_mask = clock(mask_head)
    _, t['  mask pasting'] = clock(paste, probs)
    t['mask head + paste'] = t_mask + t['  mask pasting']
    return t, sum(len(b) for b in boxes)


# --------------------------------------------------------------------------- workers




def worker(args) -> dict:
    """Time one detector at one size; the result as a dict (printed as JSON)."""
    torch.manual_seed(args.seed)
    device = args.device
    clock = Clock(device)
    h, w = args.size
    state = torch.load(args.weights, weights_only=True)
    ours = build_ours(args, args.impl if args.impl in OURS else 'ours')
    ours.load_state_dict(state)
    if args.impl == 'torchvision':
        model = build_torchvision(args, (h, w), to_torchvision_state(state))
        del ours
    else:
        model = ours
    model.to(device)
    images = [img.to(device) for img in make_images((h, w), 2, args.seed)]
    torch.manual_seed(args.seed)
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    base_mb = current_rss_mb()

    if args.phase == 'train':
        return train_phase(args, model, images, clock, base_mb)
    if args.impl in OURS:  # what tools/test.py does
        model.prepare_for_inference(fold_norms=True, channels_last=args.channels_last)

    def infer():
        with torch.inference_mode(), torch.autocast(device, enabled=args.amp):
            if args.impl in OURS:
                return ours_stages(model, ours_batch(images[:1]), clock, args.mask_encoding)
            return torchvision_stages(model, [images[0].float() / 255], clock)

    def end_to_end():
        with torch.inference_mode(), torch.autocast(device, enabled=args.amp):
            if args.impl in OURS:
                return encode_masks(model.test_step(ours_batch(images[:1])), args.mask_encoding)
            return model([images[0].float() / 255])

    runs = {k: [] for k in STAGES}
    runs['end to end'] = []
    for i in range(args.warmup + args.runs):
        times, num_dets = infer()
        _, total = clock(end_to_end)
        if i >= args.warmup:
            for k, v in times.items():
                runs[k].append(v)
            runs['end to end'].append(total)
    result = {k: statistics.median(v) for k, v in runs.items()}
    # the RoI heads with post-processing and pasting, as mmdetection's column has them
    result['roi heads + paste'] = result['box head + post'] + result['mask head + paste']
    result['detections per image'] = num_dets
    result['peak memory, inference (MB)'] = peak_mb(device, base_mb)
    return result


def train_phase(args, model, images, clock, base_mb) -> dict:
    """One training step on 2 images with 10 random boxes each: forward, backward and an
    SGD step; the median time and the peak memory."""
    device, (h, w), num_classes = args.device, args.size, args.num_classes
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=1e-4, momentum=0.9)
    gen = torch.Generator().manual_seed(args.seed)
    targets = [random_gt(h, w, num_classes, gen) for _ in images]
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    scaler = torch.amp.GradScaler(device, enabled=args.amp)

    def train_step():
        with torch.autocast(device, enabled=args.amp):
            if args.impl in OURS:
                batch = ours_batch(images, with_gt=True, num_classes=num_classes,
                                   seed=args.seed)
                data = model.data_preprocessor(batch, True)
                losses = model(**data, mode='loss')
            else:
                tv_targets = [dict(boxes=b.to(device), labels=(lab + 1).to(device),
                                   masks=m.to(device)) for b, lab, m in targets]
                losses = model([img.float() / 255 for img in images], tv_targets)
        loss = sum(v for k, v in losses.items() if 'loss' in k)
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    train_times = []
    for i in range(args.warmup + args.runs):
        _, t = clock(train_step)
        if i >= args.warmup:
            train_times.append(t)
    result = {'training step (2 images)': statistics.median(train_times),
              'peak memory, training (MB)': peak_mb(device, base_mb)}
    if args.profile:  # one more step, under torch.profiler
        result['top operators'] = top_operators(train_step, args.profile)
    return result


def run_worker(impl, size, weights, args) -> dict:
    """Inference, then training, each in a fresh process (own peak memory)."""
    result = {}
    for phase in ('infer', 'train'):
        result.update(run_phase(impl, phase, size, weights, args))
    return result


def run_phase(impl, phase, size, weights, args) -> dict:
    common = ['--phase', phase, '--weights', weights, '--size', f'{size[0]}x{size[1]}',
              '--runs', str(args.runs), '--warmup', str(args.warmup),
              '--num-classes', str(args.num_classes), '--score-thr', str(args.score_thr),
              '--max-per-img', str(args.max_per_img), '--seed', str(args.seed),
              '--profile', str(args.profile if phase == 'train' else 0)]
    if impl == 'mmdetection':  # its own Python, outside this checkout (both are 'mmdet')
        cmd = [args.mmdet_python, str(Path(__file__).with_name('mmdet_peer_worker.py'))]
        cmd += common
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=tempfile.gettempdir(),
                             env=env)
    else:
        cmd = [sys.executable, __file__, '--worker', impl] + common + ['--device', args.device]
        cmd += ['--mask-encoding', args.mask_encoding]
        cmd += [] if args.channels_last else ['--no-channels-last']
        cmd += ['--amp'] * args.amp + ['--toy'] * args.toy
        out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f'{impl} {phase} at {size} failed:\n{out.stderr[-3000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def mmdetection_peer(python) -> str:
    """mmdetection's version when ``python`` imports mmdetection 3.x, else ''."""
    if not python:
        return ''
    probe = subprocess.run([python, '-c', 'import mmdet, mmcv.ops; print(mmdet.__version__)'],
                           capture_output=True, text=True, cwd=tempfile.gettempdir(),
                           env={k: v for k, v in os.environ.items() if k != 'PYTHONPATH'})
    version = probe.stdout.strip().splitlines()[-1] if probe.returncode == 0 else ''
    return version if version.startswith('3.') else ''


def print_table(size, results, note):
    """One column per detector, then ours / each other one (torchvision: "theirs")."""
    impls = list(results)
    print(f'\n== {size[0]}x{size[1]} {note}')
    header = f'{"":28s}' + ''.join(f'{i:>13s}' for i in impls)
    header += ''.join(f'{"ours/" + ("theirs" if i == "torchvision" else i):>18s}'
                      for i in impls[1:])
    print(header)
    keys = [k for k in results[impls[0]] if k != 'top operators']
    keys += [k for i in impls[1:] for k in results[i] if k not in keys and k != 'top operators']
    for key in keys:
        vals = [results[i].get(key) for i in impls]
        unit = '' if ('memory' in key or 'detections' in key) else ' s'
        line = f'{key:28s}' + ''.join(
            f'{"-":>13s}' if v is None else f'{v:11.3f}{unit:2s}' if unit else f'{v:13.0f}'
            for v in vals)
        line += ''.join(f'{vals[0] / v:18.2f}' if v and vals[0] is not None else f'{"":18s}'
                        for v in vals[1:])
        print(line)
    if any('top operators' in r for r in results.values()):
        print_top_operators({i: r.get('top operators', []) for i, r in results.items()})


def print_top_operators(tops) -> None:
    """The training step's top operators of each detector, side by side."""
    print('\ntraining step, operators with the most self CPU time (ms, calls):')
    rows = max(len(t) for t in tops.values())
    print(''.join(f'{i:<52s}' for i in tops))
    for r in range(rows):
        print(''.join(f'{(t[r][0][:30] + f" {t[r][1]:9.1f} {t[r][2]:5d}") if r < len(t) else "":<52s}'
                      for t in tops.values()))


def parse_size(text):
    h, w = text.lower().split('x')
    return int(h), int(w)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--sizes', nargs='+', type=parse_size,
                        help='image sizes HxW (default: 800x1333 400x667; --toy: 160x160)')
    parser.add_argument('--runs', type=int, default=5, help='timed runs (the median counts)')
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs first')
    parser.add_argument('--num-classes', type=int, default=1230,
                        help='foreground classes (LVIS v0.5: 1230, v1: 1203)')
    parser.add_argument('--score-thr', type=float, default=1e-4)
    parser.add_argument('--max-per-img', type=int, default=300)
    parser.add_argument('--logit-std', type=float, default=6.0,
                        help='spread of the classifier logits over the classes')
    parser.add_argument('--toy', action='store_true',
                        help='our toy model (ResNet-18 at width 16, 50 classes) at 160x160; '
                             'torchvision has no counterpart of that network')
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--amp', action='store_true',
                        help='autocast (default on CUDA)', default=None)
    parser.add_argument('--mask-encoding', choices=['rle', 'bitmap'], default='rle',
                        help="our masks encoded as COCO RLEs, as tools/test.py encodes them "
                             "(default), or as full-size bool bitmaps")
    parser.add_argument('--no-channels-last', dest='channels_last', action='store_false',
                        help='our convolutions in NCHW instead of channels-last (as '
                             'tools/test.py --no-channels-last)')
    parser.add_argument('--cascade', action='store_true',
                        help='our Mask R-CNN against our Cascade Mask R-CNN and HTC (same '
                             'backbone, neck and RPN config; no HTC with --toy) instead of '
                             'against torchvision')
    parser.add_argument('--mmdet-python', default=os.environ.get('MMDET_PEER_PYTHON'),
                        help='a Python where mmdetection 3.x is installed (default: '
                             '$MMDET_PEER_PYTHON): adds its Mask R-CNN as a column, same '
                             'weights and inputs (see ../shared/wheels/README.md)')
    parser.add_argument('--profile', type=int, default=0, metavar='N',
                        help="also profile one training step of each detector and list its "
                             'N operators with the most self CPU time, side by side')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--worker', choices=[*OURS, 'torchvision'],
                        help=argparse.SUPPRESS)
    parser.add_argument('--impl', help=argparse.SUPPRESS)
    parser.add_argument('--phase', choices=['infer', 'train'], help=argparse.SUPPRESS)
    parser.add_argument('--weights', help=argparse.SUPPRESS)
    parser.add_argument('--size', type=parse_size, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.amp is None:
        args.amp = args.device == 'cuda'
    if args.toy:
        args.num_classes = 50
    if args.worker:
        args.impl = args.worker
        print(json.dumps(worker(args)))
        return None

    sizes = args.sizes or ([(160, 160)] if args.toy else [(800, 1333), (400, 667)])
    cascades = ['ours', 'cascade'] + ([] if args.toy else ['htc'])
    impls = cascades if args.cascade else ['ours'] if args.toy else ['ours', 'torchvision']
    peer = '' if args.cascade or args.toy else mmdetection_peer(args.mmdet_python)
    if peer:
        impls.append('mmdetection')
    elif args.mmdet_python and not (args.cascade or args.toy):
        print(f'{args.mmdet_python} does not import mmdetection 3.x: no mmdetection column')
    print(f'device: {args.device}{" (AMP)" if args.amp else ""}, '
          f'{torch.get_num_threads()} threads, torch {torch.__version__}; '
          f'{args.num_classes} classes + background, score_thr {args.score_thr}, '
          f'{args.max_per_img} detections per image, masks on')
    print(f'ours: BN folded, {"channels-last, " if args.channels_last else ""}masks as '
          f'{"COCO RLEs (as tools/test.py)" if args.mask_encoding == "rle" else "bitmaps"}; '
          'torchvision: float masks pasted by paste_masks_in_image'
          + (f'; mmdetection {peer}: its test_step, masks RLE-encoded as its CocoMetric'
             if peer else ''))
    all_results = {}
    with tempfile.TemporaryDirectory() as tmp:
        weights = {}
        for impl in impls:
            if impl in ('torchvision', 'mmdetection'):  # our Mask R-CNN's weights
                weights[impl] = weights['ours']
                continue
            model = build_ours(args, impl)
            count, num_rois = peak_classifier(model, make_images(sizes[0], 1, args.seed)[0],
                                              args.logit_std)
            print(f'{impl}: peaked classifier: logits std {args.logit_std} over classes; on a '
                  f'{sizes[0][0]}x{sizes[0][1]} image {count} (RoI, class) pairs of '
                  f'{num_rois} RoIs pass the threshold')
            weights[impl] = os.path.join(tmp, f'{impl}.pth')
            torch.save(model.state_dict(), weights[impl])
            del model
        for size in sizes:
            results = {impl: run_worker(impl, size, weights[impl], args) for impl in impls}
            print_table(size, results, '(median seconds per image; memory in MB)')
            all_results[f'{size[0]}x{size[1]}'] = results
    return all_results


if __name__ == '__main__':
    main()
