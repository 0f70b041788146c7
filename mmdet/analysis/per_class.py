"""Per-class AP of several inference modes side by side (``tools/analysis/
analyze_results.py``), from the tables ``tools/test.py --classwise [--mode all]`` writes
(``per_class_ap[.{mode}].{iou}.csv``): sorted by training instance count, with the
classes that gained and lost most between two modes."""
import csv
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

from mmdet.visualization.ap_vs_frequency import series_name

TABLE_FIELDS = ('category_id', 'name', 'frequency', 'train_instances', 'bin')


def find_tables(work_dir: Union[str, Path], iou_type: str) -> Dict[str, Path]:
    """``{mode: table}`` of a test work dir ('lvis' for a run without modes)."""
    found = {}
    for path in sorted(Path(work_dir).glob(f'per_class_ap*.{iou_type}.csv')):
        mode = series_name(str(path))
        if mode != 'modes':  # this tool's own output
            found[mode] = path
    order = ('lvis', 'orig', 'cal', 'dual')
    found = dict(sorted(found.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                        else len(order), kv[0])))
    if not found:
        raise FileNotFoundError(f'{work_dir}: no per_class_ap*.{iou_type}.csv (test with '
                                '--classwise, and --mode all for the modes side by side)')
    return found


def merge_tables(tables: Dict[str, Path]) -> List[dict]:
    """One row per category: its fields and ``AP_{mode}`` (None where undefined), sorted
    by training instance count (unknown last), then category id."""
    rows: Dict[str, dict] = {}
    for mode, path in tables.items():
        with open(path, newline='') as f:
            for row in csv.DictReader(f):
                merged = rows.setdefault(row['category_id'],
                                         {k: row.get(k, '') for k in TABLE_FIELDS})
                merged[f'AP_{mode}'] = float(row['AP']) if row['AP'] else None
    def order(row):
        count = row['train_instances']
        return (0, int(count)) if count != '' else (1, 0), int(row['category_id'])
    return sorted(rows.values(), key=order)


def changes(rows: List[dict], base: str, other: str, only_rare: bool = True,
            top: int = 10) -> Dict[str, List[dict]]:
    """The ``top`` classes (LVIS rare ones when ``only_rare`` and the tables have
    frequencies) with the largest gain and loss of ``AP_{other}`` over ``AP_{base}``."""
    have = [r for r in rows if r.get(f'AP_{base}') is not None
            and r.get(f'AP_{other}') is not None]
    if only_rare and any(r['frequency'] for r in have):
        have = [r for r in have if r['frequency'] == 'r']
    for r in have:
        r['change'] = r[f'AP_{other}'] - r[f'AP_{base}']
    ranked = sorted(have, key=lambda r: (-r['change'], int(r['category_id'])))
    return dict(gained=[r for r in ranked if r['change'] > 0][:top],
                lost=[r for r in reversed(ranked) if r['change'] < 0][:top])


def write_table(rows: List[dict], modes: Sequence[str], path: Union[str, Path]) -> Path:
    from mmdet.utils.io import atomic_write
    columns = list(TABLE_FIELDS) + [f'AP_{m}' for m in modes]

    def write(f):
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(['' if row.get(c) is None else
                             (f'{row[c]:.6f}' if isinstance(row[c], float) else row[c])
                             for c in columns])
    atomic_write(path, write, mode='w')
    return Path(path)


def changes_text(found: Dict[str, List[dict]], base: str, other: str,
                 what: Optional[str] = 'rare') -> str:
    lines = []
    for kind in ('gained', 'lost'):
        lines.append(f'{what + " " if what else ""}classes that {kind} most, {other} vs '
                     f'{base} (AP in %):')
        for r in found[kind]:
            lines.append(f'  {r["name"]:<28} train {r["train_instances"]:>6}  '
                         f'{100 * r[f"AP_{base}"]:5.1f} -> {100 * r[f"AP_{other}"]:5.1f} '
                         f'({100 * r["change"]:+.1f})')
        if not found[kind]:
            lines.append('  none')
    return '\n'.join(lines)
