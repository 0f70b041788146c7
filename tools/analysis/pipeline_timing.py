"""Timing a dataset's training pipeline image by image and transform by transform:
shared by ``benchmark_data_pipeline.py`` (our toolbox) and
``mmdet_peer_pipeline_worker.py`` (mmdetection 3.3's Python). Only numpy and the standard
library are imported here, so either environment can import this file."""
import random
import time

import numpy as np

# transform class -> the benchmark's row (the rows of both pipelines line up by name)
STEPS = {'LoadImageFromFile': 'read+decode', 'LoadAnnotations': 'annotations (polygons->masks)',
         'Resize': 'resize', 'RandomChoiceResize': 'resize', 'RandomFlip': 'flip',
         'PackDetInputs': 'pack'}
RECORD = 'dataset record (get_data_info)'


def step_name(transform) -> str:
    name = type(transform).__name__
    return STEPS.get(name, name)


def flip_seed(seed: int, index: int) -> int:
    """The seed both pipelines set before image ``index``: one on which Python's
    ``random`` (our RandomFlip draws ``random.random()``) and NumPy's global generator
    (mmcv's RandomFlip draws ``np.random.choice``, i.e. one ``random_sample()``) agree on
    whether the first draw is below 0.5, so that both flip the same images, a seeded half
    of them (``--prob 0.5`` in both configs)."""
    wanted = random.Random(seed * 1_000_003 + index).random() < 0.5
    s = (seed * 1_000_003 + index) * 64
    while True:
        ours = random.Random(s).random() < 0.5
        if ours == wanted and (np.random.RandomState(s).random_sample() < 0.5) == wanted:
            return s
        s += 1


def one_worker_threads() -> None:
    """Threads as in one data-loader worker under mmengine: OpenCV without a thread pool
    (its ``opencv_num_threads=0``), one torch thread."""
    import cv2
    import torch
    cv2.setNumThreads(0)
    torch.set_num_threads(1)


def seed_all(s: int) -> None:
    random.seed(s)
    np.random.seed(s)


class _Timed:
    """A pipeline transform that adds the seconds of each call to ``seconds``."""

    def __init__(self, transform):
        self.transform = transform
        self.seconds = 0.0

    def __call__(self, results):
        start = time.perf_counter()
        out = self.transform(results)
        self.seconds += time.perf_counter() - start
        return out


def _tensor_sum(x) -> float:
    """Sum of a tensor, array, or mmdetection box/mask container (``.tensor``/``.masks``)."""
    x = getattr(x, 'tensor', getattr(x, 'masks', x))
    return float(x.sum()) if len(x) else 0.0


def summary_of(packed: dict) -> dict:
    """What the pipeline delivered, to check both did the same work: instance count,
    set mask pixels, the image's pixel sum and size, box coordinate sum, flipped or not."""
    sample = packed['data_samples']
    gt = sample.gt_instances
    return dict(instances=len(gt) + len(sample.ignored_instances),
                mask_pixels=int(_tensor_sum(gt.masks)),
                image_sum=int(packed['inputs'].sum()),
                image_pixels=int(packed['inputs'][0].numel()),
                box_sum=_tensor_sum(gt.bboxes),
                flipped=int(bool(sample.metainfo.get('flip'))))


def warmup_indices(dataset, num: int) -> list:
    """The first ``num`` images and the one with the most instances: a worker's steady
    state has touched memory for its largest buffers once (first touches of fresh memory
    cost several times a copy on this virtual machine)."""
    if not num or not len(dataset):
        return []
    counts = [len(dataset.get_data_info(i)['instances']) for i in range(len(dataset))]
    return sorted(set(range(min(num, len(dataset)))) | {counts.index(max(counts))})


def time_dataset(dataset, seed: int = 0, warmup: int = 1) -> dict:
    """Each image of ``dataset`` once through ``dataset[i]`` (what a data-loader worker
    does: the record's copy, then the pipeline), seeded by :func:`flip_seed`, after
    the untimed :func:`warmup_indices`. Returns the images, total seconds, seconds per row
    (:data:`STEPS`; :data:`RECORD` is the rest of ``dataset[i]``) and the summed
    :func:`summary_of` of the outputs (taken outside the timed part)."""
    pipeline = dataset.pipeline
    original = pipeline.transforms
    timed = [_Timed(t) for t in original]
    pipeline.transforms = timed
    try:
        for i in warmup_indices(dataset, warmup):
            seed_all(flip_seed(seed, i))
            dataset[i]
        for t in timed:
            t.seconds = 0.0
        total, check = 0.0, {}
        for i in range(len(dataset)):
            seed_all(flip_seed(seed, i))
            start = time.perf_counter()
            packed = dataset[i]
            total += time.perf_counter() - start
            for key, value in summary_of(packed).items():
                check[key] = check.get(key, 0) + value
            del packed
    finally:
        pipeline.transforms = original
    steps = {}
    for t in timed:
        steps[step_name(t.transform)] = steps.get(step_name(t.transform), 0.0) + t.seconds
    steps = {RECORD: total - sum(steps.values()), **steps}
    check['box_sum'] = round(check.get('box_sum', 0.0), 1)
    return dict(images=len(dataset), seconds=total, steps=steps, check=check)
