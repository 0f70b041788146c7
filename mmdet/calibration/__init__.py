"""SimCal (Wang et al., ECCV 2020) stages 2 and 3: bi-level class-balanced sampling,
calibration heads, the calibrated detector and dual-head inference; beside it, the
calibrations it is compared with: BAGS (a grouped box classifier, ``bags``,
``bags_head``) and the training-free NorCal and tau-normalisation (``posthoc``, scored
as inference modes of every RoI head)."""
from .bags_head import BAGSBBoxHead
from .detector import DEFAULT_CALIB_CFG, SimCalDetector, calibration_losses
from .heads import HEAD_VARIANTS, CalibrationHead, CalibrationHeads
from .hooks import SimCalHook
from .pair_dataset import ClassImagePairDataset
from .roi_head import SimCalCascadeRoIHead, SimCalHTCRoIHead, SimCalRoIHead
from .roi_selection import select_calibration_rois
from .sampler import BiLevelClassBatchSampler
from .scores import calibrated_columns, dual_scores

__all__ = ['BAGSBBoxHead', 'BiLevelClassBatchSampler', 'CalibrationHead', 'CalibrationHeads',
           'ClassImagePairDataset', 'DEFAULT_CALIB_CFG', 'HEAD_VARIANTS', 'SimCalDetector',
           'SimCalHook', 'SimCalRoIHead', 'SimCalCascadeRoIHead', 'SimCalHTCRoIHead',
           'calibrated_columns', 'calibration_losses', 'dual_scores',
           'select_calibration_rois']
