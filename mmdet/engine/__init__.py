from .hooks import DrawPredictionsHook, TestProgressBarHook
from .run_checks import RunChecksHook
from .runner import ResumableStateHook, Runner

__all__ = ['DrawPredictionsHook', 'ResumableStateHook', 'RunChecksHook', 'Runner', 'TestProgressBarHook']
