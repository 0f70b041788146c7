"""Per-class AP against training instance count (log scale), one series per table.

The tables are the per-category CSV files that ``LVISMetric(classwise=True)`` writes
(``per_class_ap[.{mode}].{iou}.csv``: category, frequency group, training instances,
bin, AP). A class with no training instance is drawn at count 0.5.
"""
import csv
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from lvis_api import DEFAULT_BIN_EDGES


def series_name(path: str) -> str:
    """``per_class_ap.dual.segm.csv`` -> 'dual'; ``per_class_ap.segm.csv`` -> 'lvis'."""
    parts = osp.basename(path).split('.')
    return '.'.join(parts[1:-2]) or 'lvis'


def read_classwise_table(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """(training instance counts, AP) of the categories with an AP and a count."""
    counts, aps = [], []
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            if row['AP'] and row['train_instances']:
                counts.append(int(row['train_instances']))
                aps.append(float(row['AP']))
    if not counts:
        raise ValueError(f'{path} has no category with both an AP and a training count '
                         '(evaluate with the training annotation file)')
    return np.array(counts), np.array(aps)


def binned_mean(counts: np.ndarray, values: np.ndarray,
                edges: Sequence[float] = DEFAULT_BIN_EDGES):
    """``(lo, hi, mean)`` of each non-empty count bin."""
    bounds = list(edges) + [np.inf]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        inside = (counts >= lo) & (counts < hi)
        if inside.any():
            out.append((lo, hi, float(values[inside].mean())))
    return out


def plot_ap_vs_frequency(tables: Dict[str, str], out: str, iou_type: str = 'segm',
                         threshold: Optional[float] = None, title: str = '') -> str:
    """Scatter each series' per-class AP (``tables``: series -> CSV path) against the
    training count, with the mean per count bin as bars; marks T when given."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    styles = {'orig': dict(color='0.55', marker='o'), 'cal': dict(color='tab:green', marker='^'),
              'dual': dict(color='tab:red', marker='s'), 'bags': dict(color='tab:blue', marker='v'),
              'norcal': dict(color='tab:purple', marker='P'),
              'tau': dict(color='tab:orange', marker='X')}
    for i, (series, path) in enumerate(tables.items()):
        counts, aps = read_classwise_table(path)
        x = np.maximum(counts, 0.5).astype(float)
        y = 100 * aps
        style = styles.get(series.partition('@')[0], dict(color=f'C{i}', marker='D'))
        jitter = 1 + 0.04 * (i - (len(tables) - 1) / 2)  # keep overlapping points apart
        ax.scatter(x * jitter, y, s=22, alpha=0.75, label=f'{series} (mean {y.mean():.1f})',
                   color=style['color'], marker=style['marker'])
        for lo, hi, mean in binned_mean(counts, y):
            ax.hlines(mean, max(lo, 0.5), min(hi, x.max() * 2), color=style['color'], lw=2)
    for edge in DEFAULT_BIN_EDGES[1:]:
        ax.axvline(edge, color='0.85', lw=1, zorder=0)
    if threshold is not None:
        ax.axvline(threshold, color='tab:red', ls='--', lw=1, label=f'T = {threshold:g}')
    ax.set_xscale('log')
    ax.set_xlabel('training instances of the class (log scale)')
    ax.set_ylabel(f'{iou_type} AP (%)')
    ax.set_title(title or f'per-class {iou_type} AP vs training frequency '
                 '(bars: mean per count bin)')
    ax.legend(loc='best', fontsize=9)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
