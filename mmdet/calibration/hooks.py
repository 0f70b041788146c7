"""Runner hook of a calibration run: checks before training, provenance in checkpoints."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmdet.registry import HOOKS


@HOOKS.register_module()
class SimCalHook(Hook):
    """Before training: the model is a :class:`SimCalDetector` loaded from a checkpoint,
    the dataset has its number of classes, and the data loader's batch size is the
    sampler's share of the global batch. In checkpoints: ``meta['simcal']`` names the
    head variant, the calibration settings and the only trained parameters."""

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        from .detector import SimCalDetector
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not isinstance(model, SimCalDetector):
            raise TypeError(f'calibration needs a SimCalDetector model, got '
                            f'{type(model).__name__}: use a configs/simcal/ config')
        if not getattr(runner, '_has_loaded', False):
            raise RuntimeError('calibration needs a trained detector: give its checkpoint '
                               '(tools/calibrate.py CONFIG --load-from CKPT)')
        loader = runner.train_dataloader
        classes = loader.dataset.metainfo.get('classes', ())
        if len(classes) != model.num_classes:
            raise ValueError(f'the training set has {len(classes)} classes, the detector '
                             f'{model.num_classes} (model.roi_head.bbox_head.num_classes)')
        sampler = loader.sampler
        expected = getattr(sampler, 'batch_size_per_rank', None)
        if expected is not None and loader.batch_size != expected:
            raise ValueError(
                f'train_dataloader.batch_size is {loader.batch_size}, but the sampler draws '
                f'{sampler.classes_per_rank} classes x {sampler.images_per_class} images per '
                f'iteration and process ({sampler.num_classes_per_iter} classes over '
                f'{sampler.world_size} processes): set it to {expected} (tools/calibrate.py '
                'does)')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        from .detector import trainable_parameter_names
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        checkpoint.setdefault('meta', {})['simcal'] = dict(
            head_variant=model.calib_head.variant,
            calib_cfg=model.calib_cfg,
            trained_parameters=trainable_parameter_names(model))
