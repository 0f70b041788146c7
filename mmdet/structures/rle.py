"""COCO run-length encoding of binary masks, computed from each mask's support only.

``pycocotools.mask.encode`` needs a Fortran-ordered uint8 copy of every full-size mask
and visits every pixel: for 300 LVIS detections per image that is a 300 x H x W
transpose-copy plus a full scan. Here a mask is read only inside the bounding rectangle
of its nonzero pixels; the zeros around it become run lengths arithmetically. A mask
can also be given as a window placed in an otherwise empty image, so pasted masks are
encoded without ever being full-size. The strings equal pycocotools' byte for byte.
"""
from typing import List, Tuple, Union

import numpy as np
import torch
from numba import njit


@njit(cache=True)
def _window_runs(window, row0, row1, col0, col1, row_off, col_off, height, width, out):
    """Column-major run lengths (zeros first) of a ``height x width`` mask that is zero
    except inside ``window`` placed at (row_off, col_off), whose nonzero pixels lie in
    its rows [row0, row1) and cols [col0, col1). Writes ``out``; returns the count."""
    n = 0
    value = False
    run = (col0 + col_off) * height + row0 + row_off
    gap = height - (row1 - row0)  # zeros below one column's support and above the next
    for x in range(col0, col1):
        if x > col0 and gap > 0:
            if value:
                out[n] = run
                n += 1
                value = False
                run = 0
            run += gap
        for y in range(row0, row1):
            if window[y, x] == value:
                run += 1
            else:
                out[n] = run
                n += 1
                value = not value
                run = 1
    tail = (height - row1 - row_off) + (width - col1 - col_off) * height
    if value and tail > 0:
        out[n] = run
        n += 1
        run = 0
    out[n] = run + tail
    return n + 1


@njit(cache=True)
def _compress(counts, n, buf):
    """COCO's compressed RLE string (bytes into ``buf``) of ``counts[:n]``: from the
    third count on, the difference to the count two back; then 5 bits per character
    (offset 48), bit 0x20 meaning "more follows". Returns the length."""
    k = 0
    for i in range(n):
        x = counts[i]
        if i > 2:
            x -= counts[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            buf[k] = c + 48
            k += 1
    return k


def encode_window_rle(window: np.ndarray, offset: Tuple[int, int], height: int,
                      width: int) -> dict:
    """The compressed RLE (``counts`` str) of a ``height x width`` mask that is the 2-D
    bool ``window`` with its top-left pixel at ``offset = (row, col)``, zero elsewhere."""
    size = [int(height), int(width)]
    rows, cols = np.flatnonzero(window.any(axis=1)), np.flatnonzero(window.any(axis=0))
    counts = np.empty(window.size + window.shape[1] + 3, dtype=np.int64)
    if rows.size == 0:
        counts[0], n = height * width, 1
    else:
        n = _window_runs(window, rows[0], rows[-1] + 1, cols[0], cols[-1] + 1,
                         offset[0], offset[1], height, width, counts)
    buf = np.empty(13 * n, dtype=np.uint8)  # 13 chars hold any 64-bit count
    k = _compress(counts, n, buf)
    return dict(size=size, counts=buf[:k].tobytes().decode('ascii'))


def encode_rle(masks: Union[torch.Tensor, np.ndarray]) -> List[dict]:
    """Compressed RLEs ``{'size': [H, W], 'counts': str}`` of ``(N, H, W)`` binary masks,
    equal to ``pycocotools.mask.encode`` of the same masks (with ``counts`` decoded)."""
    if isinstance(masks, torch.Tensor):
        masks = masks.detach().cpu().to(torch.bool).numpy()
    masks = np.asarray(masks).astype(bool, copy=False)
    if masks.ndim != 3:
        raise ValueError(f'masks must be (N, H, W), got shape {masks.shape}')
    height, width = masks.shape[1:]
    return [encode_window_rle(mask, (0, 0), height, width) for mask in masks]


__all__ = ['encode_rle', 'encode_window_rle']
