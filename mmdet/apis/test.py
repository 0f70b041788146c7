"""Stage 3 and stage-1 testing: test (and evaluate) a detector (``tools/test.py``)."""
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import is_main_process

from .config import (check_sections, evaluator_list, is_detection_metric, load_config,
                     place_metric_outputs, setup_cfg_for_device)
from .train import train_runner


SIMCAL_ROI_HEADS = ('SimCalRoIHead', 'SimCalCascadeRoIHead', 'SimCalHTCRoIHead')


def configure_test_mode(cfg: Config, mode: str) -> None:
    """Set a SimCal model's ``roi_head.inference_mode``; for 'all', one LVIS (or COCO)
    metric per mode reads ``pred_instances_{mode}`` and prefixes its results with the mode."""
    from mmdet.calibration.roi_head import mode_field
    from mmdet.calibration.scores import ALL_MODES, INFERENCE_MODES, check_mode
    check_mode(mode)
    roi_head = cfg.model.get('roi_head') or {}
    if roi_head.get('type') not in SIMCAL_ROI_HEADS:
        if mode != 'orig':
            raise ValueError(f'--mode {mode} needs a SimCal config (configs/simcal/): this '
                             'model has no calibration head')
        return
    roi_head['inference_mode'] = mode
    if mode != ALL_MODES:
        return
    split = []
    for evaluator in evaluator_list(cfg, 'test_evaluator'):
        if not is_detection_metric(evaluator):
            split.append(evaluator)
            continue
        for m in INFERENCE_MODES:
            per_mode = dict(evaluator, pred_field=mode_field(m), prefix=m)
            if evaluator.get('outfile_prefix'):
                per_mode['outfile_prefix'] = f'{evaluator["outfile_prefix"]}.{m}'
            split.append(per_mode)
    cfg.test_evaluator = split


def build_test_cfg(config: str, checkpoint: str, work_dir: Optional[str] = None,
                   cfg_options: Optional[dict] = None, launcher: str = 'none',
                   eval: Optional[Sequence[str]] = None, out: Optional[str] = None,
                   mode: Optional[str] = None, classwise: bool = False,
                   format_only: bool = False, outfile_prefix: Optional[str] = None,
                   show_dir: Optional[str] = None, show_score_thr: float = 0.3,
                   fold_bn: bool = True,
                   channels_last: bool = True) -> Config:
    """The config of a test run (arguments as ``tools/test.py`` takes them)."""
    cfg = load_config(config, launcher, cfg_options, work_dir)
    check_sections(cfg, config, ('model', 'test_dataloader', 'test_cfg', 'test_evaluator'),
                   'test')
    cfg.load_from = checkpoint
    for evaluator in evaluator_list(cfg, 'test_evaluator'):
        if not is_detection_metric(evaluator):
            continue
        if eval:
            evaluator.metric = list(eval)
        if format_only or outfile_prefix:
            evaluator.outfile_prefix = outfile_prefix or osp.join(cfg.work_dir, 'results')
        evaluator.format_only = format_only
        if classwise:
            evaluator.classwise = True
    mode = mode or (cfg.model.get('roi_head') or {}).get('inference_mode')
    if mode:  # the config's own 'all' also gets one evaluator per mode
        configure_test_mode(cfg, mode)
    if out:  # first, so the predictions are written even if an evaluation fails
        evaluator_list(cfg, 'test_evaluator').insert(
            0, dict(type='DumpDetResults', out_file_path=out))
    place_metric_outputs(cfg)
    # exact inference speed-ups, applied once the checkpoint is loaded
    hooks = [dict(type='PrepareInferenceHook', fold_norms=fold_bn,
                  channels_last=channels_last)]
    if show_dir:
        hooks.append(dict(type='DrawPredictionsHook', out_dir=show_dir,
                          score_thr=show_score_thr))
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + hooks
    setup_cfg_for_device(cfg)
    return cfg


def run_test(cfg: Config) -> Dict[str, float]:
    """Test; returns the metrics. A SimCal model in mode 'all' also prints its modes
    side by side and writes them to the work dir (see :func:`report_modes`)."""
    from .simcal import report_modes
    metrics = train_runner(cfg).test()
    if (cfg.model.get('roi_head') or {}).get('inference_mode') == 'all' and is_main_process():
        print(report_modes(metrics, cfg.work_dir))
    return metrics
