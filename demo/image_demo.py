"""Detect objects in images and save the pictures (and JSON predictions).

    python demo/image_demo.py IMG_OR_FOLDER CONFIG CKPT [--out-dir outputs]
        [--score-thr 0.3] [--mode all] [--batch-size 1] [--device cpu]

For a calibrated SimCal model, ``--mode all`` draws the original, calibrated and dual
detections side by side on each image, the classes the calibration takes over (fewer
than T training instances) marked with ``*``: SimCal's effect on one image. The images
go through the config's test pipeline, so the detections are those of tools/test.py.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.apis import DetInferencer  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('inputs', nargs='+', help='image files and/or folders of images')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint (file, URL or zoo:// name)')
    parser.add_argument('--out-dir', default='outputs',
                        help='where vis/<name>.jpg and preds/<name>.json go')
    parser.add_argument('--score-thr', type=float, default=0.3, help='drawn from this score')
    parser.add_argument('--mode', nargs='+', metavar='MODE',
                        help="which scores, several side by side: orig, norcal@GAMMA, "
                             "tau@TAU; SimCal models also cal, dual, all (default: the "
                             "config's mode)")
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    inferencer = DetInferencer(args.config, args.checkpoint, device=args.device,
                               mode=args.mode)
    out = inferencer(args.inputs, batch_size=args.batch_size, out_dir=args.out_dir, draw=True,
                     score_thr=args.score_thr)
    print(f'{len(out["names"])} images: pictures in {osp.join(args.out_dir, "vis")}, '
          f'predictions in {osp.join(args.out_dir, "preds")}')
    return out


if __name__ == '__main__':
    main()
