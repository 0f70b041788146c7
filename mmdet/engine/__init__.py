from .hooks import DrawPredictionsHook, TestProgressBarHook
from .runner import ResumableStateHook, Runner

__all__ = ['DrawPredictionsHook', 'ResumableStateHook', 'Runner', 'TestProgressBarHook']
