"""Runner hook of a calibration run: it starts the calibration and records it."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


@HOOKS.register_module()
class SimCalHook(Hook):
    """Before training (after the detector was loaded or the run resumed): checks that
    the model is a :class:`SimCalDetector` started from a checkpoint and that the data
    has its number of classes, then starts the calibration head (the training counts
    of the data go into it, ``*_ft`` variants copy the box head; a resumed head is kept).
    In checkpoints: ``meta['simcal']`` names the head variant, the calibration
    settings, T and the only trained parameters."""

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        from .detector import SimCalDetector
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not isinstance(model, SimCalDetector):
            raise TypeError(f'calibration needs a SimCalDetector model, got '
                            f'{type(model).__name__}: use a configs/simcal/ config')
        if not model.detector_loaded:
            raise RuntimeError('calibration needs a trained detector, and no detector '
                               'weights were loaded: give its checkpoint (tools/calibrate.py '
                               'CONFIG --load-from CKPT)')
        metainfo = runner.train_dataloader.dataset.metainfo
        classes = metainfo.get('classes', ())
        if len(classes) != model.num_classes:
            raise ValueError(f'the training set has {len(classes)} classes, the detector '
                             f'{model.num_classes} (model.roi_head.bbox_head.num_classes)')
        model.calib_head.start_calibration(model.roi_head.bbox_head,
                                           metainfo['instance_counts'])

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        from .detector import trainable_parameter_names
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        checkpoint.setdefault('meta', {})['simcal'] = dict(
            head_variant=model.calib_head.variant,
            calib_cfg=model.calib_cfg,
            count_threshold=model.roi_head.count_threshold,
            trained_parameters=trainable_parameter_names(model))
