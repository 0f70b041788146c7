"""DetInferencer: a config and checkpoint run on images as ``tools/test.py`` runs them.

    from mmdet.apis import DetInferencer
    inferencer = DetInferencer('configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
                               'work_dirs/.../iter_600.pth', mode='all')
    out = inferencer('demo/images/', batch_size=4, out_dir='outputs/', draw=True)
    out['predictions'][0]['dual']['labels']

Inputs are image paths, folders (their images, sorted by name), uint8 BGR ``(H, W, 3)``
arrays, or lists of these; each goes through the config's test pipeline (the same
resizing, the same model preparation: folded BatchNorms, channels-last), so the results
equal those of a test run on the same images. Results are plain: per image ``bboxes``
(x1, y1, x2, y2 in the original image), ``scores``, ``labels``, ``masks`` (COCO RLEs)
and ``classes`` (names); several modes (e.g. a SimCal model's ``'all'``) give one such
dict per mode.
"""
import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config

from mmdet.utils.io import atomic_write_text
from .inference import (ImageInput, build_pipeline, inference_pipeline_cfg, init_detector,
                        pipeline_inputs)

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def collect_images(inputs: Union[ImageInput, Sequence[ImageInput]]
                   ) -> List[Tuple[str, ImageInput]]:
    """``(name, path or array)`` of every image: a folder gives its image files sorted by
    name; an array is named ``array_{i}``. A path that does not exist is an error."""
    items = [inputs] if isinstance(inputs, (str, Path, np.ndarray)) else list(inputs)
    out = []
    for item in items:
        if isinstance(item, np.ndarray):
            out.append((f'array_{len(out)}', item))
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise FileNotFoundError(f'{path}: a folder without images '
                                        f'({", ".join(IMAGE_SUFFIXES)})')
            out.extend((p.stem, str(p)) for p in files)
        elif path.is_file():
            out.append((path.stem, str(path)))
        else:
            raise FileNotFoundError(f'no such image or folder: {path}')
    return out


def plain_instances(instances, classes: Sequence[str] = ()) -> Dict[str, list]:
    """Predictions as lists: boxes, scores, labels, class names and COCO RLE masks."""
    labels = instances.labels.cpu().tolist()
    out = dict(bboxes=instances.bboxes.cpu().tolist(), scores=instances.scores.cpu().tolist(),
               labels=labels, classes=[classes[i] if i < len(classes) else str(i)
                                       for i in labels])
    if 'masks' in instances:
        out['masks'] = [dict(size=list(r['size']), counts=r['counts'].decode()
                             if isinstance(r['counts'], bytes) else r['counts'])
                        for r in instances.masks.to_rle()]
    return out


class DetInferencer:
    """A detector for images, built like a test run (see the module doc).

    Args:
        model: config file (or Config).
        weights: checkpoint (file, URL or ``zoo://`` name); None keeps the config's init.
        device: 'cpu', 'cuda', ...
        mode: an inference mode or a list of them, scored side by side ('orig',
            'norcal@GAMMA', 'tau@TAU'; SimCal models also 'cal', 'dual', 'all'); default
            the config's ``roi_head.inference_mode``.
        cfg_options: config overrides, as ``--cfg-options``.
        fold_norms, channels_last: tools/test.py's exact speed-ups (on by default).
    """

    def __init__(self, model: Union[str, Path, Config], weights: Optional[str] = None,
                 device: str = 'cpu', mode=None,
                 cfg_options: Optional[dict] = None, fold_norms: bool = True,
                 channels_last: bool = True):
        from .test import configure_test_mode
        cfg = model if isinstance(model, Config) else Config.fromfile(str(model))
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        if mode is not None:
            configure_test_mode(cfg, mode)
        pipeline = inference_pipeline_cfg(cfg, source=str(model))
        self.model = init_detector(cfg, weights, device=device, fold_norms=fold_norms,
                                   channels_last=channels_last)
        self._pipelines = {False: build_pipeline(pipeline),
                           True: build_pipeline(pipeline, from_array=True)}
        meta = self.model.dataset_meta or {}
        self.classes = tuple(meta.get('classes') or _classes_of_test_set(cfg))

    @torch.no_grad()
    def predict(self, inputs: Union[ImageInput, Sequence[ImageInput]],
                batch_size: int = 1) -> List[Tuple[str, object]]:
        """``(name, DetDataSample)`` per image, in input order."""
        return self._predict(collect_images(inputs), batch_size)

    def _predict(self, items: List[Tuple[str, ImageInput]],
                 batch_size: int) -> List[Tuple[str, object]]:
        if batch_size < 1:
            raise ValueError(f'batch_size must be at least 1, got {batch_size}')
        out = []
        for start in range(0, len(items), batch_size):
            chunk = items[start:start + batch_size]
            packed = [self._pipelines[isinstance(item, np.ndarray)](
                pipeline_inputs(item, start + i)) for i, (_, item) in enumerate(chunk)]
            batch = dict(inputs=[p['inputs'] for p in packed],
                         data_samples=[p['data_samples'] for p in packed])
            out.extend(zip([name for name, _ in chunk], self.model.test_step(batch)))
        return out

    def results_of(self, sample) -> Dict:
        """One image's plain predictions (per mode when several are scored)."""
        from mmdet.models.roi_heads.score_modes import instances_by_mode
        by_mode = {m: plain_instances(inst, self.classes)
                   for m, inst in instances_by_mode(sample).items()}
        return by_mode[''] if '' in by_mode else by_mode

    def __call__(self, inputs: Union[ImageInput, Sequence[ImageInput]], batch_size: int = 1,
                 out_dir: Optional[str] = None, draw: bool = False, score_thr: float = 0.3,
                 return_datasamples: bool = False) -> Dict[str, list]:
        """Detect; returns ``predictions`` (plain dicts, per image), ``names`` and, with
        ``draw``, ``visualization`` (BGR arrays: one panel per mode, side by side).
        ``out_dir`` also gets ``preds/{name}.json`` and, with ``draw``,
        ``vis/{name}.jpg``."""
        from mmdet.models.roi_heads.score_modes import instances_by_mode
        from mmdet.visualization import draw_modes_side_by_side, marked_classes
        items = collect_images(inputs)
        samples = self._predict(items, batch_size)
        images = dict(items)
        out = dict(names=[name for name, _ in samples],
                   predictions=[self.results_of(s) for _, s in samples])
        if return_datasamples:
            out['datasamples'] = [s for _, s in samples]
        if draw:
            out['visualization'] = [
                draw_modes_side_by_side(_read_bgr(images[name]), instances_by_mode(s),
                                        self.classes, score_thr, marked_classes(self.model))
                for name, s in samples]
        if out_dir is not None:
            self._write(Path(out_dir), out)
        return out

    @staticmethod
    def _write(out_dir: Path, out: Dict[str, list]) -> None:
        import cv2
        for i, name in enumerate(out['names']):
            atomic_write_text(out_dir / 'preds' / f'{name}.json',
                              json.dumps(out['predictions'][i]))
            if 'visualization' in out:
                path = out_dir / 'vis' / f'{name}.jpg'
                path.parent.mkdir(parents=True, exist_ok=True)
                if not cv2.imwrite(str(path), out['visualization'][i]):
                    raise OSError(f'cannot write {path}')


def _classes_of_test_set(cfg: Config) -> Tuple[str, ...]:
    """Class names when the checkpoint has none: the test set's metainfo, else its
    annotation file's categories in id order (as the datasets number them), else none."""
    import os.path as osp
    dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
    names = (dataset.get('metainfo') or {}).get('classes')
    if names:
        return tuple(names)
    ann_file = dataset.get('ann_file')
    if ann_file and dataset.get('data_root') and not osp.isabs(ann_file):
        ann_file = osp.join(dataset['data_root'], ann_file)
    if not ann_file or not osp.isfile(ann_file):
        return ()
    from lvis_api._json import load_json
    cats = sorted(load_json(ann_file).get('categories') or [], key=lambda c: c['id'])
    return tuple(c.get('name', str(c['id'])) for c in cats)


def _read_bgr(item: ImageInput) -> np.ndarray:
    import cv2
    if isinstance(item, np.ndarray):
        return item
    img = cv2.imread(str(item), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'cannot decode image {item}')
    return img
