"""Stage 3 and stage-1 testing: test (and evaluate) a detector (``tools/test.py``)."""
import os.path as osp
from typing import Dict, Optional, Sequence

from mmengine.config import Config
from mmengine.dist import is_main_process

from .config import (check_sections, evaluator_list, is_detection_metric, load_config,
                     place_metric_outputs, setup_cfg_for_device)
from .train import train_runner


SIMCAL_ROI_HEADS = ('SimCalRoIHead', 'SimCalCascadeRoIHead', 'SimCalHTCRoIHead')


def configure_test_mode(cfg: Config, mode) -> None:
    """Set the model's ``roi_head.inference_mode`` (one mode, 'all' or a list; see
    ``mmdet.models.roi_heads.score_modes``). With several modes one LVIS (or COCO)
    metric per mode reads ``pred_instances_{mode}`` and prefixes its results with the
    mode. NorCal without a count file counts the test evaluator's ``train_ann_file``."""
    from mmdet.models.roi_heads.score_modes import (CALIBRATED_MODES, mode_field, parse_mode,
                                                    parse_modes)
    modes = parse_modes(mode)
    roi_head = cfg.model.get('roi_head')
    if roi_head is None:
        raise ValueError('--mode needs a model with a RoI head')
    calibrated = [m for m in modes if m in CALIBRATED_MODES]
    if calibrated and roi_head.get('type') not in SIMCAL_ROI_HEADS:
        raise ValueError(f'--mode {" ".join(calibrated)} needs a SimCal config '
                         '(configs/simcal/): this model has no calibration head')
    roi_head['inference_mode'] = (mode if isinstance(mode, str) else
                                  list(modes) if len(modes) > 1 else modes[0])
    if any(parse_mode(m)[0] == 'norcal' for m in modes):
        norcal = dict(roi_head.get('norcal') or {})
        if not norcal.get('count_file'):
            norcal['count_file'] = next(
                (e['train_ann_file'] for e in evaluator_list(cfg, 'test_evaluator')
                 if is_detection_metric(e) and e.get('train_ann_file')), None)
        roi_head['norcal'] = norcal
    if len(modes) == 1:
        return
    split = []
    for evaluator in evaluator_list(cfg, 'test_evaluator'):
        if not is_detection_metric(evaluator):
            split.append(evaluator)
            continue
        for m in modes:
            per_mode = dict(evaluator, pred_field=mode_field(m), prefix=m)
            if evaluator.get('outfile_prefix'):
                per_mode['outfile_prefix'] = f'{evaluator["outfile_prefix"]}.{m}'
            split.append(per_mode)
    cfg.test_evaluator = split


def test_modes(cfg: Config) -> tuple:
    """The inference modes a test config scores."""
    from mmdet.models.roi_heads.score_modes import parse_modes
    return parse_modes((cfg.model.get('roi_head') or {}).get('inference_mode') or 'orig')


def build_test_cfg(config: str, checkpoint: str, work_dir: Optional[str] = None,
                   cfg_options: Optional[dict] = None, launcher: str = 'none',
                   eval: Optional[Sequence[str]] = None, out: Optional[str] = None,
                   mode=None, classwise: bool = False,
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
    """Test; returns the metrics. With several inference modes (e.g. 'all') it also
    prints them side by side and writes them to the work dir (see :func:`report_modes`)."""
    from .simcal import report_modes
    metrics = train_runner(cfg).test()
    modes = test_modes(cfg)
    if len(modes) > 1 and is_main_process():
        print(report_modes(metrics, cfg.work_dir, modes))
    return metrics
