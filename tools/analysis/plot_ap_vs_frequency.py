"""Per-class AP against training instance count (log scale), one series per mode.

    python tools/analysis/plot_ap_vs_frequency.py RESULTS.json --train-ann TRAIN.json \
        [--modes orig dual] [--iou-type segm] [--threshold 100] [--out ap_vs_frequency.png]

RESULTS is a json of per-class APs: the ``simcal_modes.json`` that ``tools/test.py
--mode all --classwise`` writes, or any flat metrics dict whose keys read
``{series}/{iou}_AP_{class name}`` (e.g. a line of the runner's json log, where the
series is the metric prefix such as ``lvis``). Counts come from the training annotation
file. A class with no training instance is drawn at count 0.5.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import Dict

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mmdet.datasets.statistics import SplitStatistics  # noqa: E402

BIN_EDGES = (10, 100, 1000)


def per_class_ap(results: dict, iou_type: str) -> Dict[str, Dict[str, float]]:
    """``{series: {class name: AP}}`` from either accepted layout."""
    if 'metrics' in results and isinstance(results['metrics'], dict):
        flat = {f'{series}/{key}': value for series, values in results['metrics'].items()
                for key, value in values.items()}
    else:
        flat = results
    marker = f'{iou_type}_AP_'
    out: Dict[str, Dict[str, float]] = {}
    for key, value in flat.items():
        series, _, name = key.rpartition('/')
        if name.startswith(marker) and value is not None and value >= 0:
            out.setdefault(series or 'results', {})[name[len(marker):]] = float(value)
    return out


def binned_mean(counts: np.ndarray, aps: np.ndarray, edges=(0,) + BIN_EDGES):
    bounds = list(edges) + [np.inf]
    return [(lo, hi, float(aps[(counts >= lo) & (counts < hi)].mean()))
            for lo, hi in zip(bounds[:-1], bounds[1:]) if ((counts >= lo) & (counts < hi)).any()]


def plot(aps: Dict[str, Dict[str, float]], counts: Dict[str, int], out: str,
         iou_type: str = 'segm', threshold: float = None, title: str = '') -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    styles = {'orig': dict(color='0.55', marker='o'), 'cal': dict(color='tab:green', marker='^'),
              'dual': dict(color='tab:red', marker='s')}
    for i, (series, values) in enumerate(aps.items()):
        names = [n for n in values if n in counts]
        x = np.array([max(counts[n], 0.5) for n in names], float)
        y = np.array([100 * values[n] for n in names])
        style = styles.get(series, dict(color=f'C{i}', marker='D'))
        jitter = 1 + 0.04 * (i - (len(aps) - 1) / 2)  # keep overlapping points apart
        ax.scatter(x * jitter, y, s=22, alpha=0.75, label=f'{series} (mean {y.mean():.1f})',
                   color=style['color'], marker=style['marker'])
        for lo, hi, mean in binned_mean(np.array([counts[n] for n in names]), y):
            ax.hlines(mean, max(lo, 0.5), min(hi, x.max() * 2), color=style['color'], lw=2)
    for edge in BIN_EDGES:
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', help='json of per-class APs (see module doc)')
    parser.add_argument('--train-ann', required=True, help='training annotation file')
    parser.add_argument('--modes', nargs='+', default=['orig', 'dual'],
                        help='series to draw (default: orig dual; "all" = every series)')
    parser.add_argument('--iou-type', default='segm', choices=['segm', 'bbox'])
    parser.add_argument('--threshold', type=float, default=None, help='mark T')
    parser.add_argument('--out', default='ap_vs_frequency.png')
    args = parser.parse_args(argv)
    aps = per_class_ap(json.loads(Path(args.results).read_text()), args.iou_type)
    if args.modes != ['all']:
        missing = [m for m in args.modes if m not in aps]
        if missing:
            raise SystemExit(f'{args.results} has no per-class {args.iou_type} AP for '
                             f'{", ".join(missing)} (found: {", ".join(aps) or "none"}; '
                             'test with --classwise)')
        aps = {m: aps[m] for m in args.modes}
    stats = SplitStatistics.from_annotation_file(args.train_ann)
    counts = dict(zip(stats.names, stats.instance_counts))
    plot(aps, counts, args.out, args.iou_type, args.threshold)
    print(f'plot written to {args.out}')


if __name__ == '__main__':
    main()
