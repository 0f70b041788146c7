"""SimCal's AP by bins of training instance count.

Bins are ``[e0, e1), [e1, e2), ..., [e_last, inf)`` over the number of TRAINING instances
of each category, named AP1, AP2, ...; only categories with ground truth in the evaluated
split count. bAP is the unweighted mean of the bins that have such a category.
"""
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from .._json import load_json
from ..errors import LVISFormatError
from ..lvis import LVIS, category_counts

DEFAULT_BIN_EDGES = (0, 10, 100, 1000)
TrainCountsSource = Union[str, 'os.PathLike[str]', LVIS, Mapping[Any, int]]


def load_train_counts(source: TrainCountsSource, by: str = 'instance',
                      name: Optional[str] = None) -> Dict[int, int]:
    """Training instances (``by='image'``: images) per category id.

    ``source`` is an LVIS training annotation file (path, loaded dict or :class:`LVIS`),
    counted by :func:`lvis_api.lvis.category_counts` (the toolbox's one definition), or a
    mapping ``{category_id: count}`` (JSON string keys accepted; taken as it is).
    ``name`` names a loaded dict in errors.
    """
    if isinstance(source, LVIS):
        data, name = source.dataset, source.source
    elif isinstance(source, (str, os.PathLike)):
        data, name = load_json(source), os.fspath(source)
    else:
        data, name = source, name or '<train counts>'
    if not isinstance(data, Mapping):
        raise LVISFormatError(f'{name}: expected an LVIS annotation object or a '
                              f'{{category_id: count}} mapping, got {type(data).__name__}')
    if 'categories' not in data:
        try:
            return {int(cat_id): int(count) for cat_id, count in data.items()}
        except (TypeError, ValueError) as err:
            raise LVISFormatError(f'{name}: not a {{category_id: count}} mapping: {err}'
                                  ) from None
    counts = category_counts(data, by, name)
    if not any(counts.values()):
        raise LVISFormatError(f'{name}: holds no training instances (no annotations and no '
                              f'categories with an "{by}_count")')
    return counts


def bin_names(edges: Sequence[float]) -> List[str]:
    return [f'AP{i + 1}' for i in range(len(edges))]


def bin_ranges(edges: Sequence[float]) -> List[str]:
    """``['[0,10)', '[10,100)', ..., '[1000,inf)']``."""
    uppers = list(edges[1:]) + ['inf']
    return [f'[{lo:g},{hi if isinstance(hi, str) else format(hi, "g")})'
            for lo, hi in zip(edges, uppers)]


def bin_of_categories(cat_ids: Sequence[int], train_counts: Mapping[int, int],
                      edges: Sequence[float]) -> np.ndarray:
    """Bin index of each category (-1 below the first edge); unknown categories count 0."""
    edges_arr = np.asarray(edges, dtype=np.float64)
    if len(edges_arr) == 0 or np.any(np.diff(edges_arr) <= 0):
        raise ValueError(f'bin edges must be increasing, got {list(edges)}')
    counts = np.array([train_counts.get(c, 0) for c in cat_ids], dtype=np.float64)
    return np.searchsorted(edges_arr, counts, side='right') - 1
