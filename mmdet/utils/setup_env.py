"""Command-line setup shared by the tools."""
import torch
from mmengine.config import Config


def register_all_modules() -> None:
    """Import every module that registers components."""
    import mmdet.datasets  # noqa: F401
    import mmdet.engine  # noqa: F401
    import mmdet.evaluation  # noqa: F401
    import mmdet.models  # noqa: F401


def setup_cfg_for_device(cfg: Config) -> None:
    """Use the gloo backend for distributed runs on machines without CUDA."""
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
