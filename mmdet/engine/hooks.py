"""Small runner hooks."""
from typing import Optional, Sequence

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.utils import ProgressBar

from mmdet.registry import HOOKS


@HOOKS.register_module()
class TestProgressBarHook(Hook):
    """A progress bar (count, rate, ETA) over the test and validation sets, on rank 0."""

    priority = 'LOW'

    def __init__(self):
        self._bar: Optional[ProgressBar] = None

    def _start(self, runner, loader) -> None:
        if is_main_process():
            total = len(loader.dataset) if hasattr(loader, 'dataset') else len(loader)
            self._bar = ProgressBar(total)
            self._world = runner.world_size

    def _advance(self, outputs: Optional[Sequence]) -> None:
        if self._bar is not None:
            for _ in range(len(outputs or ()) * self._world):
                if self._bar.completed < self._bar.task_num:
                    self._bar.update()

    def _finish(self) -> None:
        if self._bar is not None:
            self._bar.file.write('\n')
            self._bar = None

    def before_test_epoch(self, runner) -> None:
        self._start(runner, runner.test_dataloader)

    def before_val_epoch(self, runner) -> None:
        self._start(runner, runner.val_dataloader)

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._advance(outputs)

    def after_val_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self._advance(outputs)

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._finish()

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._finish()


@HOOKS.register_module()
class DrawPredictionsHook(Hook):
    """Save each test image as one picture (``tools/test.py --show-dir``): the ground
    truth of the test set, then the predictions scoring at least ``score_thr`` (each
    mode's when several are scored, e.g. a SimCal model's 'all': orig, cal and dual),
    side by side; the classes whose scores the calibration replaces (fewer than T
    training instances) are marked with ``*``."""

    def __init__(self, out_dir: str, score_thr: float = 0.3, with_gt: bool = True):
        self.out_dir = out_dir
        self.score_thr = score_thr
        self.with_gt = with_gt
        self._gt_index = None

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        import os.path as osp

        import cv2

        from mmdet.models.roi_heads.score_modes import instances_by_mode
        from mmdet.utils.io import atomic_write
        from mmdet.visualization import draw_modes_side_by_side, marked_classes
        dataset = runner.test_dataloader.dataset
        names = dataset.metainfo.get('classes', ())
        marked = marked_classes(runner.model)
        for sample in outputs or ():
            img = cv2.imread(sample.img_path)
            if img is None:
                continue
            panels = {}
            if self.with_gt:
                panels['ground truth'] = self._ground_truth(dataset, sample.img_id, img.shape)
            panels.update({mode or 'prediction': inst
                           for mode, inst in instances_by_mode(sample).items()})
            drawn = draw_modes_side_by_side(img, panels, names, self.score_thr, marked)
            path = osp.join(self.out_dir, osp.basename(sample.img_path))
            ok, buf = cv2.imencode(osp.splitext(path)[1] or '.jpg', drawn)
            if ok:
                atomic_write(path, lambda f: f.write(buf.tobytes()))

    def _ground_truth(self, dataset, img_id, shape):
        """The test set's annotations of an image as instances (score 1)."""
        import numpy as np
        import torch

        from mmdet.datasets.transforms import segmentation_to_mask
        from mmdet.structures import InstanceData
        if self._gt_index is None:
            self._gt_index = {}
            for i in range(len(dataset)):
                info = dataset.get_data_info(i)
                self._gt_index[info['img_id']] = info.get('instances', [])
        instances = self._gt_index.get(img_id, [])
        h, w = shape[:2]
        masks = [segmentation_to_mask(inst['mask'], h, w) if inst.get('mask') is not None
                 else np.zeros((h, w), np.uint8) for inst in instances]
        return InstanceData(
            bboxes=torch.tensor([inst['bbox'] for inst in instances],
                                dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor([inst['bbox_label'] for inst in instances], dtype=torch.long),
            scores=torch.ones(len(instances)),
            masks=torch.from_numpy(np.stack(masks) if masks else np.zeros((0, h, w), np.uint8)))


@HOOKS.register_module()
class PrepareInferenceHook(Hook):
    """Applies the model's exact inference speed-ups (``prepare_for_inference``: BN
    folding, optionally channels-last) once the checkpoint is loaded, before testing.

    Only for test runs: a folded model cannot be trained or checkpointed as before.
    The defaults are the model's (and those of ``tools/test.py`` and
    ``init_detector``): both speed-ups on.
    """

    priority = 'VERY_HIGH'

    def __init__(self, fold_norms: bool = True, channels_last: bool = True):
        self.fold_norms = fold_norms
        self.channels_last = channels_last

    def before_test(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if hasattr(model, 'prepare_for_inference'):
            model.eval()
            model.prepare_for_inference(self.fold_norms, self.channels_last)


@HOOKS.register_module()
class TrainCountsHook(Hook):
    """When training starts (after the weights were loaded or the run resumed), gives
    every module that asks for them (``receive_train_counts``, e.g. the BAGS box head,
    which groups its classes by them) the training set's instance count per class: the
    dataset's ``instance_counts`` metainfo, the toolbox's one definition. The runner
    adds it."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        receivers = [m for m in model.modules() if hasattr(m, 'receive_train_counts')]
        if not receivers:
            return
        counts = runner.train_dataloader.dataset.metainfo.get('instance_counts')
        if counts is None:
            raise KeyError(f'{type(receivers[0]).__name__} needs the training instance count '
                           "of each class (the training set's metainfo 'instance_counts', "
                           'which LVIS-format datasets give)')
        for module in receivers:
            module.receive_train_counts(counts)
