"""Parameters and FLOPs of a detector, per module.

    python tools/analysis/get_flops.py CONFIG [--shape 800 1333] [--depth 2] [--out F.json]

FLOPs: one test step on a random image of that size (torch.utils.flop_counter;
multiply-adds count two), so the RoI heads count on the proposals and detections the
model keeps at its test settings. See mmdet/analysis/complexity.py.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.analysis.complexity import (complexity_table, flop_counts,  # noqa: E402
                                       parameter_counts)
from mmdet.apis import init_detector  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=2, default=(800, 1333), metavar=('H', 'W'))
    parser.add_argument('--depth', type=int, default=2, help='module levels listed')
    parser.add_argument('--out', help='also write the figures as JSON')
    args = parser.parse_args(argv)
    model = init_detector(args.config, cfg_options={'model.backbone.init_cfg': None},
                          fold_norms=False, channels_last=False)
    result = dict(shape=list(args.shape), params=parameter_counts(model, args.depth),
                  flops=flop_counts(model, tuple(args.shape), args.depth))
    print(complexity_table(result['params'], result['flops']))
    print(f'input {args.shape[0]}x{args.shape[1]}; FLOPs of one test step (multiply-adds '
          'count two; NMS not counted)')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
