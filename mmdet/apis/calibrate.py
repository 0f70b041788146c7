"""SimCal stage 2: calibrate a trained detector's classifier (``tools/calibrate.py``)."""
from typing import Optional

from mmengine.config import Config
from mmengine.runner import CheckpointLoader

from mmdet.utils.checkpoint import (CheckpointError, extract_state_dict, latest_checkpoint,
                                    register_checkpoint_loaders)
from mmdet.utils.model_versions import (check_checkpoint_version, check_head_layout,
                                        config_convention)
from .config import (apply_run_options, check_sections, load_config, place_metric_outputs,
                     setup_cfg_for_device)
from .train import TRAIN_SECTIONS, last_checkpoint, run_training

def detector_parts(model_cfg) -> list:
    """Weight-name prefixes of the parts of the config's detector."""
    roi_head = model_cfg.get('roi_head') or {}
    parts = ['backbone.', 'neck.' if model_cfg.get('neck') else None, 'rpn_head.',
             'roi_head.bbox_head.', 'roi_head.mask_head.' if roi_head.get('mask_head') else None]
    return [p for p in parts if p]


def check_detector_checkpoint(cfg: Config, path: str) -> None:
    """Before the data is loaded: the checkpoint holds every part of the config's
    detector, for its number of classes (the runner's strict load then checks each
    weight)."""
    register_checkpoint_loaders()
    ckpt = CheckpointLoader.load_checkpoint(path, 'cpu')
    state = extract_state_dict(ckpt)
    check_checkpoint_version(ckpt, state, config_convention(cfg.model), path)
    missing = [p for p in detector_parts(cfg.model) if not any(k.startswith(p) for k in state)]
    if missing:
        raise CheckpointError(f'{path} holds no {", ".join(p[:-1] for p in missing)} weights '
                              '(mmdetection names expected): is it a two-stage detector?')
    bbox_head = cfg.model.roi_head.bbox_head
    if isinstance(bbox_head, (list, tuple)):  # cascade stages: the last one's
        weight = state.get(f'roi_head.bbox_head.{len(bbox_head) - 1}.fc_cls.weight')
        num_classes = bbox_head[-1]['num_classes']
    else:
        weight = state.get('roi_head.bbox_head.fc_cls.weight')
        num_classes = bbox_head.num_classes
    if weight is not None and weight.shape[0] != num_classes + 1:
        raise CheckpointError(
            f'{path} classifies {weight.shape[0] - 1} classes (+ background), the config '
            f'{num_classes} (model.roi_head.bbox_head.num_classes): calibrate a detector '
            'trained on this dataset')
    check_head_layout(cfg.model, state, path)


def build_calibration_cfg(config: str, load_from: Optional[str] = None,
                          work_dir: Optional[str] = None, cfg_options: Optional[dict] = None,
                          launcher: str = 'none', resume: Optional[str] = None,
                          amp: bool = False, seed: Optional[int] = None,
                          deterministic: bool = False) -> Config:
    """The config of a calibration run of the detector ``load_from`` (arguments as
    ``tools/calibrate.py`` takes them; ``resume='auto'`` continues the work dir's run if
    it has one, else starts from ``load_from``)."""
    cfg = load_config(config, launcher, cfg_options, work_dir)
    check_sections(cfg, config, TRAIN_SECTIONS, 'calibrate')
    if cfg.model.get('type') != 'SimCalDetector':
        raise ValueError(f'{config} is not a SimCal config (model.type is '
                         f'{cfg.model.get("type")!r}, expected SimCalDetector)')
    apply_run_options(cfg, amp, seed, deterministic)
    cfg.resume, cfg.load_from = False, load_from
    if resume == 'auto':
        latest = latest_checkpoint(cfg.work_dir)
        if latest is not None:
            cfg.resume, cfg.load_from = True, latest
        elif load_from is None:
            raise FileNotFoundError(f'no checkpoint to resume from in {cfg.work_dir}: give '
                                    'the detector to calibrate with --load-from CKPT')
    elif resume is not None:
        cfg.resume, cfg.load_from = True, resume
    if (cfg.get('auto_scale_lr') or {}).get('enable'):
        raise ValueError('auto_scale_lr does not apply to calibration: its batch is '
                         'train_dataloader.batch_sampler.num_classes_per_iter classes over '
                         'all processes, whatever their number; disable auto_scale_lr')
    if not cfg.resume:
        if cfg.load_from is None:
            raise ValueError('give the detector to calibrate (--load-from CKPT)')
        check_detector_checkpoint(cfg, cfg.load_from)
    hooks = list(cfg.get('custom_hooks', []))
    if not any(h.get('type') == 'SimCalHook' for h in hooks):
        cfg.custom_hooks = hooks + [dict(type='SimCalHook')]
    place_metric_outputs(cfg)
    setup_cfg_for_device(cfg)
    return cfg


def run_calibration(cfg: Config) -> str:
    """Calibrate; returns the path of the final checkpoint."""
    return last_checkpoint(run_training(cfg))
