from .calibrate import build_calibration_cfg, run_calibration
from .det_inferencer import DetInferencer
from .inference import inference_detector, init_detector
from .simcal import report_modes, run_simcal
from .test import build_test_cfg, run_test
from .toy_demo import run_toy_demo
from .train import build_train_cfg, run_training

__all__ = ['DetInferencer', 'build_calibration_cfg', 'build_test_cfg', 'build_train_cfg',
           'inference_detector', 'init_detector', 'report_modes', 'run_calibration',
           'run_simcal', 'run_test', 'run_toy_demo', 'run_training']
