from .hooks import DrawPredictionsHook, TestProgressBarHook
from .runner import PlainLogHistoryHook, Runner

__all__ = ['DrawPredictionsHook', 'PlainLogHistoryHook', 'Runner', 'TestProgressBarHook']
