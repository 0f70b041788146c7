"""Training logs: mmengine's ``vis_data/scalars.json`` (one JSON object per line:
training lines with ``loss``, ``lr``, ``time`` ... at ``step`` = iteration; validation
lines with ``lvis/segm_AP`` ... at ``step`` = epoch), read into curves
(``tools/analysis/analyze_logs.py``)."""
import json
from pathlib import Path
from typing import Dict, List, Sequence, Tuple, Union

Curve = Tuple[List[float], List[float]]


def find_scalars(path: Union[str, Path]) -> Path:
    """``path`` itself, or the newest ``*/vis_data/scalars.json`` of a work dir."""
    path = Path(path)
    if path.is_file():
        return path
    found = sorted(path.glob('*/vis_data/scalars.json'))
    if not path.is_dir() or not found:
        raise FileNotFoundError(f'{path}: neither a scalars.json nor a work dir with '
                                '<timestamp>/vis_data/scalars.json')
    return found[-1]


def load_scalars(path: Union[str, Path]) -> Dict[str, List[dict]]:
    """``{'train': [...], 'val': [...]}``: a line with a metric (a key with '/') is a
    validation line. A malformed line is an error naming the file and line."""
    path = find_scalars(path)
    out: Dict[str, List[dict]] = {'train': [], 'val': []}
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f'{path}:{i}: not a JSON line ({err})') from None
        out['val' if any('/' in k for k in record) else 'train'].append(record)
    return out


def curve(scalars: Dict[str, List[dict]], key: str) -> Curve:
    """(steps, values) of ``key``: iterations for training keys, epochs for metrics."""
    records = scalars['val' if '/' in key else 'train']
    points = [(r['step'], r[key]) for r in records if key in r and 'step' in r]
    return [float(x) for x, _ in points], [float(y) for _, y in points]


def curves(logs: Sequence[Union[str, Path]], keys: Sequence[str]) -> Dict[str, Dict[str, Curve]]:
    """``{key: {log: (steps, values)}}``; a key no log has is an error naming the keys
    they have."""
    loaded = {str(log): load_scalars(log) for log in logs}
    out = {}
    for key in keys:
        out[key] = {log: curve(s, key) for log, s in loaded.items()}
        if not any(xs for xs, _ in out[key].values()):
            known = sorted({k for s in loaded.values() for r in s['train'] + s['val'] for k in r})
            raise KeyError(f'no log has {key!r}; they have: {", ".join(known)}')
    return out


def plot_curves(data: Dict[str, Dict[str, Curve]], out_file: Union[str, Path],
                legend: Sequence[str] = ()) -> Path:
    """One panel per key, the logs overlaid (labelled by ``legend`` or their path)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(data), 1, figsize=(7, 2.6 * len(data)), squeeze=False)
    for ax, (key, runs) in zip(axes[:, 0], data.items()):
        for i, (log, (xs, ys)) in enumerate(runs.items()):
            ax.plot(xs, ys, marker='o' if '/' in key else None, markersize=3,
                    label=legend[i] if i < len(legend) else log)
        ax.set_title(key)
        ax.set_xlabel('epoch' if '/' in key else 'iteration')
        ax.legend(fontsize=7)
    fig.tight_layout()
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def train_time(scalars: Dict[str, List[dict]]) -> Dict[str, float]:
    """Seconds per iteration (mean of the logged ``time``), and the slowest and fastest
    epoch's mean."""
    by_epoch: Dict[int, List[float]] = {}
    for r in scalars['train']:
        if 'time' in r:
            by_epoch.setdefault(int(r.get('epoch', 0)), []).append(float(r['time']))
    if not by_epoch:
        raise KeyError('the log has no training time entries')
    means = {e: sum(v) / len(v) for e, v in by_epoch.items()}
    times = [t for v in by_epoch.values() for t in v]
    return dict(mean_s=sum(times) / len(times), slowest_epoch=max(means, key=means.get),
                fastest_epoch=min(means, key=means.get))
