"""Cost of a calibration iteration next to inference on the same images, in one run.

    python tools/analysis/benchmark_calibration.py CONFIG CKPT [--iters 10] [--warmup 2]

Batches are drawn as calibration draws them (num_classes_per_iter x images_per_class
images, bi-level sampling) and loaded once, so data loading is timed in neither. Each
batch is then (1) one calibration step (forward, backward, SGD step) and (2) inference
of the same images in 'orig' mode (the plain detector, masks included and encoded to
RLE as tools/test.py encodes them), and in the config's own mode. Times are per batch;
images/s = batch size / time.
"""
import argparse
import itertools
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.dataset import pseudo_collate  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from mmengine.runner import Runner  # noqa: E402

from mmdet.registry import MODELS  # noqa: E402
from mmdet.utils import load_checkpoint, register_all_modules  # noqa: E402


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='SimCal config')
    parser.add_argument('checkpoint', help='detector (stage 1) or calibrated checkpoint')
    parser.add_argument('--iters', type=int, default=10, help='timed batches')
    parser.add_argument('--warmup', type=int, default=2, help='untimed batches first')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)

    register_all_modules()
    init_default_scope('mmdet')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(args.seed)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model = MODELS.build(cfg.model)
    model.init_weights()
    load_checkpoint(model, args.checkpoint, logger=None)
    model.to(device)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad],
                                **{k: v for k, v in cfg.optim_wrapper.optimizer.items()
                                   if k != 'type'})
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=args.seed)
    dataset, batch_size = loader.dataset, loader.batch_sampler.batch_size
    batches = [pseudo_collate([dataset[i] for i in indices])
               for indices in itertools.islice(iter(loader.batch_sampler),
                                               args.warmup + args.iters)]
    # as SimCalHook starts a calibration (a calibrated checkpoint's head is kept)
    model.calib_head.start_calibration(model.roi_head.bbox_head,
                                       dataset.metainfo['instance_counts'])

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    def calibration_step(batch):
        model.train()
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        optimizer.zero_grad()
        losses['loss_cal'].backward()
        optimizer.step()
        sync()

    def inference(batch, mode):
        model.eval()
        model.roi_head.inference_mode = mode
        with torch.no_grad():
            for sample in model.test_step(batch):  # masks encoded as a test run does
                sample.pred_instances.masks.to_rle()
        sync()

    own_mode = cfg.model.roi_head.get('inference_mode', 'dual')
    modes = ['orig'] + ([own_mode] if own_mode != 'orig' else [])
    times = {'calibration': []}
    times.update({f'inference ({m})': [] for m in modes})
    for i, batch in enumerate(batches):
        t_cal = timed(lambda: calibration_step(batch))
        t_inf = {m: timed(lambda: inference(batch, m)) for m in modes}
        if i >= args.warmup:
            times['calibration'].append(t_cal)
            for m in modes:
                times[f'inference ({m})'].append(t_inf[m])

    print(f'{args.config} on {device} ({torch.get_num_threads()} threads), batches of '
          f'{batch_size} images, {args.iters} timed after {args.warmup} warm-up:')
    cal = sum(times['calibration']) / args.iters
    for name, values in times.items():
        mean = sum(values) / len(values)
        rate = (f'{1 / mean:6.2f} calibration it/s' if name == 'calibration'
                else f'{batch_size / mean:6.1f} images/s')
        print(f'  {name:18s} {mean:7.3f} s/batch  {rate}  ({mean / cal:.2f}x calibration)')
    inf = sum(times['inference (orig)']) / args.iters
    verdict = 'within' if cal <= inf else 'ABOVE'
    print(f'one calibration iteration costs {cal / inf:.2f}x inference on the same images '
          f'({verdict} the budget of 1x)')
    return times


if __name__ == '__main__':
    main()
