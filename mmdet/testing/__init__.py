"""Generators of test and demo data (not used by training or evaluation)."""
from .toy_lvis import make_toy_lvis

__all__ = ['make_toy_lvis']
