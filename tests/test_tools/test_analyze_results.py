"""tools/analysis/analyze_results.py on hand-made per-class tables: rows sorted by
training count with every mode's AP, and the rare classes that gained and lost most."""
import csv

import pytest

from tool_testing import load_tool

HEADER = ('category_id', 'name', 'frequency', 'train_instances', 'bin', 'AP')
#          id, name, freq, count, AP orig, AP dual
CLASSES = [(1, 'a', 'f', 500, 0.50, 0.45), (2, 'b', 'r', 3, 0.10, 0.40),
           (3, 'c', 'r', 1, 0.30, 0.20), (4, 'd', 'c', 40, 0.20, 0.28),
           (5, 'e', 'r', 8, 0.00, 0.05), (6, 'f', 'r', 2, None, None)]


def _tables(folder):
    for mode, col in (('orig', 4), ('dual', 5), ('cal', 5)):
        with open(folder / f'per_class_ap.{mode}.segm.csv', 'w', newline='') as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            for c in CLASSES:
                writer.writerow(c[:4] + ('',) + ('' if c[col] is None else f'{c[col]:.6f}',))


def test_modes_side_by_side_and_rare_changes(tmp_path, capsys):
    _tables(tmp_path)
    result = load_tool('tools/analysis/analyze_results.py').main(
        [str(tmp_path), '--top', '1'])
    rows = result['rows']
    assert [r['name'] for r in rows] == ['c', 'f', 'b', 'e', 'd', 'a']  # by training count
    assert rows[0]['AP_orig'] == pytest.approx(0.30) and rows[0]['AP_dual'] == pytest.approx(0.20)
    assert rows[1]['AP_orig'] is None
    assert [r['name'] for r in result['changes']['gained']] == ['b']  # rare only, top 1
    assert [r['name'] for r in result['changes']['lost']] == ['c']
    printed = capsys.readouterr().out
    assert 'b' in printed and '10.0 ->  40.0 (+30.0)' in printed
    with open(result['table'], newline='') as f:
        written = list(csv.DictReader(f))
    assert list(written[0])[-3:] == ['AP_orig', 'AP_cal', 'AP_dual']
    assert [w['name'] for w in written] == [r['name'] for r in rows]
    assert written[1]['AP_orig'] == ''
    everything = load_tool('tools/analysis/analyze_results.py').main(
        [str(tmp_path), '--all-classes', '--top', '3'])
    assert [r['name'] for r in everything['changes']['gained']] == ['b', 'd', 'e']
    with pytest.raises(FileNotFoundError, match='--classwise'):
        load_tool('tools/analysis/analyze_results.py').main([str(tmp_path / 'none')])
