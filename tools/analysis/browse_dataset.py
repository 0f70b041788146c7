"""Save a dataset's samples as the training pipeline delivers them, ground truth drawn.

    python tools/analysis/browse_dataset.py CONFIG [--output-dir browse] [--num 20]
        [--split train|val|test] [--cfg-options KEY=VALUE ...]

Each picture is the transformed image (resized, flipped, ...) with the transformed boxes,
masks and class names, so the augmentation is visible.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import Config, DictAction  # noqa: E402

from mmdet.analysis.browse import browse, build_split  # noqa: E402


def main(argv=None) -> list:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config')
    parser.add_argument('--output-dir', default='browse')
    parser.add_argument('--num', type=int, default=20, help='samples to save')
    parser.add_argument('--split', choices=('train', 'val', 'test'), default='train')
    parser.add_argument('--seed', type=int, default=0, help='for the random transforms')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    records = list(browse(build_split(cfg, args.split), args.output_dir, args.num, args.seed))
    print(f'{len(records)} samples drawn into {args.output_dir}')
    return records


if __name__ == '__main__':
    main()
