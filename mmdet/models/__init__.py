from . import (backbones, data_preprocessors, dense_heads, detectors, losses, necks,  # noqa: F401
               roi_heads, task_modules)
