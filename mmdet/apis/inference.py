"""Build a detector from a config (and checkpoint) and run it on images through the
config's test pipeline, as ``tools/test.py`` runs them."""
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config

from mmdet.registry import MODELS, TRANSFORMS
from mmdet.structures import DetDataSample
from mmdet.utils import load_checkpoint, partial_load_of

ImageInput = Union[str, Path, np.ndarray]


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
    if checkpoint is not None and hasattr(model, 'check_inference_ready'):
        model.check_inference_ready()  # what its inference modes need, before any image
    if hasattr(model, 'prepare_for_inference'):
        model.prepare_for_inference(fold_norms=fold_norms, channels_last=channels_last)
    return model


def inference_pipeline_cfg(cfg: Config, source: str = 'the config') -> List[dict]:
    """The transforms of ``test_dataloader.dataset.pipeline`` (what tools/test.py runs)."""
    dataset = ((cfg.get('test_dataloader') or {}).get('dataset') or {})
    pipeline = dataset.get('pipeline')
    if not pipeline:
        raise KeyError(f'{source} has no test_dataloader.dataset.pipeline: inference runs '
                       "the test run's pipeline")
    return [dict(t) for t in pipeline]


def build_pipeline(pipeline: Sequence[dict], from_array: bool = False) -> Callable:
    """The transforms as one callable; ``from_array`` takes images already in memory
    (``LoadImageFromFile`` becomes ``LoadImageFromNDArray``)."""
    import mmdet.datasets  # noqa: F401  (registers the transforms)
    steps = []
    for t in pipeline:
        if from_array and t.get('type') == 'LoadImageFromFile':
            t = dict(t, type='LoadImageFromNDArray')
        steps.append(TRANSFORMS.build(t))

    def run(results: dict) -> dict:
        for step in steps:
            results = step(results)
        return results
    return run


def pipeline_inputs(item: ImageInput, index: int) -> dict:
    """A pipeline's starting dict for a path or a BGR array."""
    if isinstance(item, np.ndarray):
        return dict(img=item, img_id=index)
    return dict(img_path=str(item), img_id=index)


@torch.no_grad()
def inference_detector(model: torch.nn.Module,
                       images: Union[ImageInput, Sequence[ImageInput]]
                       ) -> Union[DetDataSample, List[DetDataSample]]:
    """Detect objects in images (paths or uint8 BGR ``(H, W, 3)`` arrays) through the
    test pipeline of ``model.cfg`` (resizing as a test run does), one batch; the
    predictions are in original image coordinates."""
    single = isinstance(images, (str, Path, np.ndarray))
    items = [images] if single else list(images)
    if getattr(model, 'cfg', None) is None:
        raise ValueError('the model has no cfg: build it with init_detector')
    pipeline = inference_pipeline_cfg(model.cfg)
    runs = {False: build_pipeline(pipeline), True: build_pipeline(pipeline, from_array=True)}
    packed = [runs[isinstance(item, np.ndarray)](pipeline_inputs(item, i))
              for i, item in enumerate(items)]
    batch = dict(inputs=[p['inputs'] for p in packed],
                 data_samples=[p['data_samples'] for p in packed])
    results = model.test_step(batch)
    return results[0] if single else results
