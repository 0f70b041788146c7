from .inference import inference_detector, init_detector

__all__ = ['inference_detector', 'init_detector']
