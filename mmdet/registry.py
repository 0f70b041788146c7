"""Every registry of the project, as children of mmengine's.

Components register themselves where they are defined (``@MODELS.register_module()``)
and are built from ``dict(type=...)``. Building an unknown type names the registry and
the closest registered names.
"""
import difflib

from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry, build_from_cfg, build_model_from_cfg


def _check_type(cfg, registry, default_args=None):
    """Raise a KeyError naming the registry and close matches for unknown types."""
    if not isinstance(cfg, dict):
        return
    obj_type = cfg.get('type', (default_args or {}).get('type'))
    if isinstance(obj_type, str) and registry.get(obj_type) is None:
        known = sorted(registry.module_dict)
        close = difflib.get_close_matches(obj_type, known, n=3, cutoff=0.5)
        hint = f' Did you mean: {", ".join(close)}?' if close else ''
        raise KeyError(f'type={obj_type!r} is not registered in the '
                       f'"{registry.scope}::{registry.name}" registry.{hint}')


def _build_with_hint(cfg, registry, default_args=None):
    _check_type(cfg, registry, default_args)
    return build_from_cfg(cfg, registry, default_args)


def _build_model_with_hint(cfg, registry, default_args=None):
    for item in (cfg if isinstance(cfg, list) else [cfg]):
        _check_type(item, registry, default_args)
    return build_model_from_cfg(cfg, registry, default_args)


def _registry(name, parent, location, build_func=_build_with_hint):
    locations = [location] if isinstance(location, str) else list(location)
    return Registry(name, parent=parent, locations=locations, build_func=build_func)


RUNNERS = _registry('runner', MMENGINE_RUNNERS, 'mmdet.engine')
LOOPS = _registry('loop', MMENGINE_LOOPS, 'mmdet.engine')
HOOKS = _registry('hook', MMENGINE_HOOKS, ['mmdet.engine', 'mmdet.calibration'])
DATASETS = _registry('dataset', MMENGINE_DATASETS, ['mmdet.datasets', 'mmdet.calibration'])
DATA_SAMPLERS = _registry('data sampler', MMENGINE_DATA_SAMPLERS,
                          ['mmdet.datasets', 'mmdet.calibration'])
TRANSFORMS = _registry('transform', MMENGINE_TRANSFORMS, 'mmdet.datasets')
MODELS = _registry('model', MMENGINE_MODELS, ['mmdet.models', 'mmdet.calibration'],
                   _build_model_with_hint)
MODEL_WRAPPERS = _registry('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'mmdet.models')
OPTIM_WRAPPERS = _registry('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'mmdet.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _registry('optimizer wrapper constructor',
                                       MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, 'mmdet.engine')
OPTIMIZERS = _registry('optimizer', MMENGINE_OPTIMIZERS, 'mmdet.engine')
LOG_PROCESSORS = _registry('log_processor', MMENGINE_LOG_PROCESSORS, 'mmdet.engine')
WEIGHT_INITIALIZERS = _registry('weight initializer', MMENGINE_WEIGHT_INITIALIZERS,
                                'mmdet.models')
PARAM_SCHEDULERS = _registry('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                             'mmdet.engine')
METRICS = _registry('metric', MMENGINE_METRICS, 'mmdet.evaluation')
EVALUATOR = _registry('evaluator', MMENGINE_EVALUATOR, 'mmdet.evaluation')
TASK_UTILS = _registry('task util', MMENGINE_TASK_UTILS, 'mmdet.models')
VISUALIZERS = _registry('visualizer', MMENGINE_VISUALIZERS, 'mmdet.visualization')
VISBACKENDS = _registry('vis_backend', MMENGINE_VISBACKENDS, 'mmdet.visualization')
