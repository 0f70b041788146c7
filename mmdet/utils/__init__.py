from .io import atomic_write, atomic_write_text
from .checkpoint import (CheckpointError, compare_state_dicts, extract_state_dict,
                         load_checkpoint, load_state_dict, read_checkpoint)

__all__ = ['atomic_write', 'atomic_write_text', 'CheckpointError', 'compare_state_dicts', 'extract_state_dict', 'load_checkpoint',
           'load_state_dict', 'read_checkpoint']
