"""Checks of a run's inputs before its long pass: the data fits the model, the
evaluators can evaluate it, the model can run in its configured mode. Each failure is an
error naming the file, key or value, raised before the first training step or test
image (not after every image was run)."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


def model_num_classes(model) -> Optional[int]:
    """The number of classes of a detector's box head (None for other models)."""
    head = getattr(getattr(model, 'roi_head', None), 'bbox_head', None)
    if isinstance(head, (list, tuple)) or hasattr(head, '__getitem__'):
        head = head[0] if len(head) else None  # cascade stages share the classes
    return getattr(head, 'num_classes', None)


def check_dataset_fits(dataset, num_classes: Optional[int], what: str) -> None:
    """The dataset is not empty and has the model's number of classes."""
    source = getattr(dataset, 'ann_file', None) or type(dataset).__name__
    if len(dataset) == 0:
        filters = getattr(dataset, 'filter_cfg', None)
        raise ValueError(f'the {what} ({source}) is empty' +
                         (f' after filtering (filter_cfg={filters})' if filters else ''))
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if num_classes is not None and classes and len(classes) != num_classes:
        raise ValueError(
            f'the {what} ({source}) has {len(classes)} classes, the model {num_classes} '
            '(model.roi_head.bbox_head.num_classes): set num_classes to the dataset\'s')


def check_loop_inputs(loop, model, what: str) -> None:
    """A validation or test loop: its data fits the model, and each metric that can
    check its inputs (``check_inputs(dataset_meta, num_classes)``) does."""
    num_classes = model_num_classes(model)
    dataset = loop.dataloader.dataset
    check_dataset_fits(dataset, num_classes, f'{what} set')
    for metric in getattr(loop.evaluator, 'metrics', ()):
        if hasattr(metric, 'check_inputs'):
            metric.check_inputs(dataset.metainfo, num_classes)


@HOOKS.register_module()
class RunChecksHook(Hook):
    """Runs the checks of this module when training starts (the training set, and the
    validation set with its evaluators) and when testing starts (the test set, its
    evaluators, and the model's own ``check_inference_ready()``, e.g. a SimCal model
    asked for calibrated scores without calibration weights, and that NorCal's counts
    are the test set's classes). The runner adds it."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = _unwrap(runner.model)
        check_dataset_fits(runner.train_dataloader.dataset, model_num_classes(model),
                           'training set')
        if runner.val_loop is not None:
            check_loop_inputs(runner.val_loop, model, 'validation')

    def before_test(self, runner) -> None:
        model = _unwrap(runner.model)
        if hasattr(model, 'check_inference_ready'):
            model.check_inference_ready()
        check_loop_inputs(runner.test_loop, model, 'test')
        dataset = runner.test_loop.dataloader.dataset
        cat_ids = (getattr(dataset, 'metainfo', None) or {}).get('cat_ids')
        roi_head = getattr(model, 'roi_head', None)
        if cat_ids is not None and hasattr(roi_head, 'check_class_ids'):
            roi_head.check_class_ids(cat_ids)  # e.g. NorCal's counts


def _unwrap(model):
    return model.module if is_model_wrapper(model) else model
