"""tools/analysis/confusion_matrix.py on a hand-made case: every entry of the matrix and
of its long-tail (rare/common/frequent) view; results pickles are read without running
code from them."""
import csv
import json
import pickle

import numpy as np
import pytest

from mmdet.evaluation.metrics.dump_det_results import read_det_results
from tool_testing import load_tool

CATS = [dict(id=10, name='unicorn', frequency='r'), dict(id=20, name='kettle', frequency='c'),
        dict(id=30, name='person', frequency='f')]
A, B, C = [10, 10, 20, 20], [50, 50, 30, 30], [5, 5, 10, 10]  # x, y, w, h


def _ann(i, img, cat, box):
    return dict(id=i, image_id=img, category_id=cat, bbox=box, area=box[2] * box[3],
                segmentation=[[0, 0, 1, 0, 1, 1]])


def _pred(boxes, labels, scores):
    xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in boxes], np.float32).reshape(-1, 4)
    return dict(bboxes=xyxy, scores=np.array(scores, np.float32),
                labels=np.array(labels, np.int64))


def test_matrix_and_long_tail_view(tmp_path, capsys):
    ann = tmp_path / 'val.json'
    images = [dict(id=i, width=100, height=100, neg_category_ids=[],
                   not_exhaustive_category_ids=[]) for i in (1, 2, 3)]
    anns = [_ann(1, 1, 10, A), _ann(2, 2, 20, B), _ann(3, 3, 30, C),
            dict(_ann(4, 2, 30, C), iscrowd=1)]  # a crowd: left out
    ann.write_text(json.dumps(dict(images=images, annotations=anns, categories=CATS)))
    runs = {  # image 3 has no results: its person is missed
        'orig': [dict(img_id=1, pred_instances=_pred([A, [70, 70, 5, 5]], [2, 1], [.9, .8])),
                 dict(img_id=2, pred_instances=_pred([B, B], [1, 2], [.7, .1]))],
        'dual': [dict(img_id=1, pred_instances=_pred([A], [0], [.9])),
                 dict(img_id=2, pred_instances=_pred([B], [1], [.7]))]}
    paths = []
    for name, results in runs.items():
        paths.append(tmp_path / f'{name}.pkl')
        paths[-1].write_bytes(pickle.dumps(results))
    out = load_tool('tools/analysis/confusion_matrix.py').main(
        [str(ann)] + [str(p) for p in paths] + ['--names', 'orig', 'dual',
                                                '--out-dir', str(tmp_path / 'cm')])
    expected = np.zeros((4, 4), np.int64)
    expected[0, 2] = 1  # the unicorn taken for a person...
    expected[0, 3] = 1  # ...and so missed
    expected[3, 1] = 1  # a kettle where there is nothing
    expected[1, 1] = 1  # the kettle found (the 0.1 person on it is below the threshold)
    expected[2, 3] = 1  # the person of image 3 missed
    np.testing.assert_array_equal(out['orig']['matrix'], expected)
    assert out['dual']['matrix'][0, 0] == 1 and out['dual']['matrix'][0, 3] == 0
    np.testing.assert_array_equal(out['orig']['groups'], expected)  # one class per group
    with open(tmp_path / 'cm' / 'confusion_matrix.orig.csv', newline='') as f:
        rows = list(csv.reader(f))
    assert rows[0][1:] == ['unicorn', 'kettle', 'person', 'missed']
    assert rows[1] == ['unicorn', '0', '0', '1', '1']
    printed = capsys.readouterr().out
    rare_orig = next(line for line in printed.splitlines() if 'orig' in line and 'rare (2)' in line)
    assert [c.strip() for c in rare_orig.split('|')[3:7]] == ['0.0', '0.0', '50.0', '50.0']
    assert (tmp_path / 'cm' / 'confusion_long_tail.png').stat().st_size > 5000


class _Evil:
    def __reduce__(self):
        return (print, ('this must not run',))


def test_results_pickles_are_read_without_running_code(tmp_path, capsys):
    bad = tmp_path / 'bad.pkl'
    bad.write_bytes(pickle.dumps([dict(img_id=1, pred_instances=_Evil())]))
    with pytest.raises(ValueError, match='builtins.print'):
        read_det_results(str(bad))
    assert 'must not run' not in capsys.readouterr().out
