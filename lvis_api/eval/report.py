"""Describing result keys: official-style summary lines and a terminaltables table."""
from typing import List, Mapping, Sequence, Tuple

from terminaltables import AsciiTable

from .params import Params

AREA_NAMES = {'s': 'small', 'm': 'medium', 'l': 'large'}


def describe_key(key: str, params: Params,
                 bin_ranges: Mapping[str, str]) -> Tuple[str, str, str]:
    """(IoU, area, categories) of a result key such as ``AP50``, ``APr``, ``ARs@300``,
    ``AP2`` or ``bAP``."""
    all_ious = f'{params.iou_thrs[0]:0.2f}:{params.iou_thrs[-1]:0.2f}'
    if key in bin_ranges:
        return all_ious, 'all', bin_ranges[key]
    if key == 'bAP':
        return all_ious, 'all', 'bins'
    third = key[2] if len(key) > 2 else ''
    iou = f'{float(key[2:]) / 100:0.2f}' if third.isdigit() else all_ious
    area = third if third in AREA_NAMES else 'all'
    cats = third if third in ('r', 'c', 'f') else 'all'
    return iou, area, cats


def max_dets_of(key: str, params: Params) -> str:
    """The detection cap a result key is at: ``AR@10`` -> ``10``, else the params'."""
    return key.split('@', 1)[1] if '@' in key else params.max_dets_label


def summary_lines(results: Mapping[str, float], params: Params,
                  bin_ranges: Mapping[str, str]) -> List[str]:
    """One line per result, in the official ``print_results`` format."""
    template = (' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={} catIds={:>3s}] '
                '= {:0.3f}')
    lines = []
    for key, value in results.items():
        max_dets = max_dets_of(key, params)
        max_dets = f'{int(max_dets):>3d}' if max_dets.isdigit() else max_dets
        title, kind = (('Average Precision', '(AP)') if 'AP' in key
                       else ('Average Recall', '(AR)'))
        iou, area, cats = describe_key(key, params, bin_ranges)
        lines.append(template.format(title, kind, iou, area, max_dets, cats, value))
    return lines


def summary_table(results: Mapping[str, float], params: Params,
                  bin_ranges: Mapping[str, str], title: str = '') -> str:
    rows: List[Sequence[str]] = [['metric', 'IoU', 'area', 'categories', 'maxDets', 'value']]
    for key, value in results.items():
        iou, area, cats = describe_key(key, params, bin_ranges)
        rows.append([key, iou, AREA_NAMES.get(area, area), cats, max_dets_of(key, params),
                     f'{value:0.4f}'])
    table = AsciiTable(rows, title or None)
    table.justify_columns[5] = 'right'
    return table.table

