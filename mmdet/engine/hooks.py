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
    """Save each test image with its predictions drawn (``tools/test.py --show-dir``)."""

    def __init__(self, out_dir: str, score_thr: float = 0.3):
        self.out_dir = out_dir
        self.score_thr = score_thr

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        import os
        import os.path as osp

        import cv2

        from mmdet.visualization import draw_instances
        os.makedirs(self.out_dir, exist_ok=True)
        names = runner.test_dataloader.dataset.metainfo.get('classes', ())
        for sample in outputs or ():
            pred = sample.pred_instances
            img = cv2.imread(sample.img_path)
            if img is None:
                continue
            pred = pred[pred.scores >= self.score_thr]
            masks = pred.masks.to_bitmap().cpu().numpy() if 'masks' in pred else None
            drawn = draw_instances(img, pred.bboxes.cpu().numpy(), pred.labels.cpu().numpy(),
                                   pred.scores.cpu().numpy(), masks, names, self.score_thr)
            cv2.imwrite(osp.join(self.out_dir, osp.basename(sample.img_path)), drawn)


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
