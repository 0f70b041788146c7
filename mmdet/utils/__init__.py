from .checkpoint import (CheckpointError, compare_state_dicts, extract_state_dict,
                         latest_checkpoint, load_checkpoint, load_state_dict, partial_load_of,
                         read_checkpoint)
from .io import atomic_write, atomic_write_text
from .setup_env import register_all_modules

__all__ = ['CheckpointError', 'atomic_write', 'atomic_write_text', 'compare_state_dicts',
           'extract_state_dict', 'latest_checkpoint', 'load_checkpoint', 'load_state_dict', 'partial_load_of',
           'read_checkpoint',
           'register_all_modules']
