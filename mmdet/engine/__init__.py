from .hooks import DrawPredictionsHook, TestProgressBarHook, TrainCountsHook
from .run_checks import RunChecksHook
from .runner import ResumableStateHook, Runner

__all__ = ['DrawPredictionsHook', 'ResumableStateHook', 'RunChecksHook', 'Runner', 'TestProgressBarHook',
           'TrainCountsHook']
