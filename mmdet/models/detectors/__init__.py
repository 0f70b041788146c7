from .two_stage import CascadeRCNN, HybridTaskCascade, MaskRCNN, TwoStageDetector

__all__ = ['CascadeRCNN', 'HybridTaskCascade', 'MaskRCNN', 'TwoStageDetector']
