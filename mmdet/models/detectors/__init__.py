from .two_stage import MaskRCNN, TwoStageDetector

__all__ = ['MaskRCNN', 'TwoStageDetector']
