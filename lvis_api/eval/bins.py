"""SimCal's AP by bins of training instance count.

Bins are ``[e0, e1), [e1, e2), ..., [e_last, inf)`` over the number of TRAINING instances
of each category, named AP1, AP2, ...; only categories with ground truth in the evaluated
split count. bAP is the unweighted mean of the bins that have such a category.
"""
import os
from collections import Counter
from typing import Any, Dict, List, Mapping, Sequence, Union

import numpy as np

from .._json import load_json
from ..errors import LVISFormatError
from ..lvis import LVIS

DEFAULT_BIN_EDGES = (0, 10, 100, 1000)
TrainCountsSource = Union[str, 'os.PathLike[str]', LVIS, Mapping[Any, int]]


def load_train_counts(source: TrainCountsSource) -> Dict[int, int]:
    """Training instances per category id.

    ``source`` is an LVIS training annotation file (path, loaded dict or :class:`LVIS`):
    its annotations are counted, or, when it has none, its categories' ``instance_count``
    fields are used; or a mapping ``{category_id: count}`` (JSON string keys accepted).
    """
    if isinstance(source, LVIS):
        return _counts_from_dataset(source.dataset, source.source)
    if isinstance(source, (str, os.PathLike)):
        data, name = load_json(source), os.fspath(source)
    else:
        data, name = source, '<train counts>'
    if isinstance(data, Mapping) and 'categories' in data:
        return _counts_from_dataset(data, name)
    if not isinstance(data, Mapping):
        raise LVISFormatError(f'{name}: expected an LVIS annotation object or a '
                              f'{{category_id: count}} mapping, got {type(data).__name__}')
    try:
        return {int(cat_id): int(count) for cat_id, count in data.items()}
    except (TypeError, ValueError) as err:
        raise LVISFormatError(f'{name}: not a {{category_id: count}} mapping: {err}') from None


def _counts_from_dataset(data: Mapping, name: str) -> Dict[int, int]:
    anns = data.get('annotations')
    if anns:
        try:
            counts = Counter(ann['category_id'] for ann in anns)
        except (KeyError, TypeError):
            raise LVISFormatError(f'{name}: an annotation has no "category_id"') from None
        cat_ids = [cat['id'] for cat in data['categories']]
        return {cat_id: counts.get(cat_id, 0) for cat_id in set(cat_ids) | set(counts)}
    counts = {}
    for i, cat in enumerate(data['categories']):
        if 'instance_count' not in cat or 'id' not in cat:
            raise LVISFormatError(f'{name}: has no annotations and categories[{i}] has no '
                                  f'"id"/"instance_count" to take training counts from')
        counts[cat['id']] = int(cat['instance_count'])
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
