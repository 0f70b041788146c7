"""A dataset's samples as its pipeline delivers them (``tools/analysis/
browse_dataset.py``): the transformed image with the transformed ground truth drawn, so
resizing, flipping and multi-scale augmentation are visible."""
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np
from mmengine.config import Config


def build_split(cfg: Config, split: str = 'train'):
    """The dataset of ``{split}_dataloader`` (a SimCal calibration config's pair dataset:
    the wrapped one), with its pipeline."""
    from mmengine.registry import init_default_scope

    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    register_all_modules()
    init_default_scope('mmdet')
    loader = cfg.get(f'{split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise KeyError(f'the config has no {split}_dataloader.dataset')
    dataset_cfg = loader['dataset']
    if dataset_cfg.get('type') == 'ClassImagePairDataset':
        dataset_cfg = dataset_cfg['dataset']
    return DATASETS.build(dataset_cfg)


def browse(dataset, out_dir: Union[str, Path], num: Optional[int] = None,
           seed: int = 0) -> Iterator[dict]:
    """Draw the first ``num`` samples into ``out_dir/{img_id}.jpg``; yields per sample
    its id, transformed image size, boxes and labels (what was drawn)."""
    import cv2
    import torch

    from mmdet.utils.io import atomic_write
    from mmdet.visualization import draw_instances
    torch.manual_seed(seed)
    np.random.seed(seed)
    names = dataset.metainfo.get('classes', ())
    out_dir = Path(out_dir)
    for i in range(len(dataset) if num is None else min(num, len(dataset))):
        packed = dataset[i]
        img = packed['inputs'].permute(1, 2, 0).numpy()  # as loaded: BGR
        sample = packed['data_samples']
        gt = sample.gt_instances
        boxes = gt.bboxes.numpy().reshape(-1, 4)
        labels = gt.labels.numpy() if 'labels' in gt else np.zeros(len(boxes), np.int64)
        masks = gt.masks.numpy().astype(bool) if 'masks' in gt else None
        drawn = draw_instances(np.ascontiguousarray(img), boxes, labels,
                               np.ones(len(boxes)), masks, names, score_thr=0.0)
        ok, buf = cv2.imencode('.jpg', drawn)
        if not ok:
            raise OSError(f'cannot encode sample {i}')
        img_id = sample.metainfo.get('img_id', i)
        atomic_write(out_dir / f'{img_id}.jpg', lambda f: f.write(buf.tobytes()))
        yield dict(img_id=img_id, shape=tuple(img.shape[:2]), bboxes=boxes, labels=labels,
                   flip=sample.metainfo.get('flip'))
