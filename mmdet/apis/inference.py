"""Build a detector from a config (and checkpoint) and run it on images."""
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmdet.utils import load_checkpoint, partial_load_of


def init_detector(config: Union[str, Path, Config], checkpoint: Optional[str] = None,
                  device: str = 'cpu', cfg_options: Optional[dict] = None,
                  fold_norms: bool = True, channels_last: bool = True) -> torch.nn.Module:
    """A detector in eval mode, from a config file or object and an optional checkpoint,
    prepared for inference as ``tools/test.py`` prepares it: BatchNorms folded into the
    convs (``fold_norms``) and channels-last convolutions (``channels_last``), both exact
    up to float rounding. The checkpoint must fit the model (see
    :func:`mmdet.utils.load_state_dict`; the config's ``partial_load`` allows gaps). Its
    predictions carry masks as
    :class:`~mmdet.structures.RoIMasks` (``.to_bitmap()``, ``.to_rle()``)."""
    import mmdet.models  # noqa: F401  (registers the components)
    cfg = config if isinstance(config, Config) else Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_cfg = cfg.model.copy()
    model_cfg.pop('train_cfg', None)
    model = MODELS.build(model_cfg)
    model.init_weights()
    if checkpoint is not None:
        ckpt = load_checkpoint(model, checkpoint, **partial_load_of(cfg))
        meta = ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}
        model.dataset_meta = meta.get('dataset_meta')
    model.cfg = cfg
    model = model.to(device).eval()
    if hasattr(model, 'prepare_for_inference'):
        model.prepare_for_inference(fold_norms=fold_norms, channels_last=channels_last)
    return model


@torch.no_grad()
def inference_detector(model: torch.nn.Module, images: Union[np.ndarray, Sequence[np.ndarray]]
                       ) -> Union[DetDataSample, List[DetDataSample]]:
    """Detect objects in uint8 BGR ``(H, W, 3)`` images, at their own size."""
    single = isinstance(images, np.ndarray)
    images = [images] if single else list(images)
    inputs, samples = [], []
    for i, img in enumerate(images):
        if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3):
            raise ValueError(f'image {i} must be an (H, W, 3) uint8 BGR array, '
                             f'got {getattr(img, "shape", type(img))}')
        h, w = img.shape[:2]
        inputs.append(torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))))
        samples.append(DetDataSample(metainfo=dict(img_id=i, img_shape=(h, w), ori_shape=(h, w),
                                                   scale_factor=(1.0, 1.0))))
    results = model.test_step(dict(inputs=inputs, data_samples=samples))
    return results[0] if single else results
