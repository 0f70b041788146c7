"""The main job (for now): build Mask R-CNN R50-FPN from its config and run it on a
generated image on the CPU, printing the detections.

It grows into the full toy pipeline (generate data, train, calibrate, evaluate).
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from mmdet.apis import inference_detector, init_detector  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def synthetic_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A BGR image with a gradient background and a few filled shapes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([xx * 255 / width, yy * 255 / height, (xx + yy) * 127 / (height + width)], -1)
    for _ in range(6):
        x0, y0 = rng.integers(0, width - 40), rng.integers(0, height - 40)
        w, h = rng.integers(20, min(200, width - x0)), rng.integers(20, min(200, height - y0))
        img[y0:y0 + h, x0:x0 + w] = rng.integers(0, 256, 3)
    return img.astype(np.uint8)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--config', default=str(REPO / 'configs/_base_/models/mask_rcnn_r50_fpn.py'))
    parser.add_argument('--size', type=int, nargs=2, default=(512, 640), metavar=('H', 'W'))
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    model = init_detector(args.config, cfg_options={'model.test_cfg.rcnn.score_thr': 0.0})
    img = synthetic_image(*args.size, seed=args.seed)
    start = time.perf_counter()
    result = inference_detector(model, img)
    elapsed = time.perf_counter() - start
    pred = result.pred_instances
    print(f'{args.config}: {len(pred)} detections on a {args.size[0]}x{args.size[1]} image '
          f'in {elapsed:.2f} s (random weights)')
    for box, score, label in zip(pred.bboxes[:5].tolist(), pred.scores[:5].tolist(),
                                 pred.labels[:5].tolist()):
        print(f'  label {label:3d}  score {score:.4f}  box {[round(v, 1) for v in box]}')
    print(f'  masks: {tuple(pred.masks.shape)}')


if __name__ == '__main__':
    main()
