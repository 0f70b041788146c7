"""Numba's parallel kernels beside torch: numba's OpenMP threading layer shares the
OpenMP runtime with torch and leaves its own thread count there, which would change
torch's (and so the summation order of a later convolution) behind the user's back."""
import contextlib
from typing import Iterator

import numba
import torch


@contextlib.contextmanager
def torch_thread_count_kept(match_numba: bool = True) -> Iterator[None]:
    """Run numba kernels inside; torch's thread count is restored on the way out. With
    ``match_numba``, the kernels use as many threads as torch does."""
    threads = torch.get_num_threads()
    if match_numba:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        torch.set_num_threads(threads)
