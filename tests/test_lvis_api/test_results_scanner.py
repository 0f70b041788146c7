"""The numba result-file scanner: the same columns as ``json``, or a clean fallback."""
import json

import numpy as np
import pytest

from lvis_api._results_scanner import scan_results_file

TRICKY = rb''' [ {"score": 1, "bbox":[0,1.5e1, 2E-1 ,-0.0],"image_id":3,
  "extra": {"a": [1, {"b": "x\"y\\z\u00e9"}, true, false, null, -2.5e+3]}, "category_id": 7,
  "segmentation": {"counts": "ab\\c\/d\u0041\"", "size": [4, 5]}},
 {"image_id": -1, "category_id": 0, "score": 0.30000000000000004,
  "bbox": [123.45678100585938, 1e-7, 9007199254740993, 1.7976931348623157e308],
  "segmentation": [[1, 2, 3, 4, 5, 6]]},
 {"image_id": 12, "category_id": 2, "score": 0.05, "bbox": [1, 2, 3, 4],
  "segmentation": {"size": [4, 5], "counts": [1, 2, 17], "x": 1}, "score": 0.25}
] '''


def _json_columns(path):
    anns = json.loads(path.read_bytes())
    columns = [np.array([a[key] for a in anns]) for key in ('image_id', 'category_id')]
    columns += [np.array([a[key] for a in anns], float) for key in ('score', 'bbox')]
    return anns, columns


def test_tricky_file_matches_json(tmp_path):
    path = tmp_path / 'r.json'
    path.write_bytes(TRICKY)
    scanned = scan_results_file(path)
    anns, (img, cat, score, box) = _json_columns(path)
    np.testing.assert_array_equal(scanned.image_ids, img)
    np.testing.assert_array_equal(scanned.category_ids, cat)
    np.testing.assert_array_equal(scanned.scores, score)  # duplicate key: the last one
    np.testing.assert_array_equal(scanned.boxes, box)
    assert np.signbit(scanned.boxes[0, 3])
    assert scanned.segmentations[0] == {'size': [4, 5], 'counts': b'ab\\c/dA"'}
    assert scanned.segmentations[1] == anns[1]['segmentation']
    assert scanned.segmentations[2] == anns[2]['segmentation']
    assert json.loads(scanned.entry_text(2)) == anns[2]


def test_numbers_are_parsed_like_python_float(tmp_path):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.random(2000), rng.random(2000) * 1e3,
                             np.exp(rng.normal(0, 30, 2000)), rng.random(1000).astype(np.float32)])
    texts = [repr(float(v)) for v in values]
    texts += [f'{v:.{rng.integers(1, 20)}g}' for v in values[:3000]]
    texts += [f'{v:.3e}' for v in values[:1000]] + ['0', '-0', '100', '0.000', '5e-324', '1e23']
    dets = ','.join(f'{{"image_id":1,"category_id":1,"score":{t},"bbox":[{t},0,{t},1]}}'
                    for t in texts)
    path = tmp_path / 'numbers.json'
    path.write_text(f'[{dets}]')
    scanned = scan_results_file(path)
    expected = np.array([float(t) for t in texts])
    np.testing.assert_array_equal(scanned.scores, expected)
    np.testing.assert_array_equal(scanned.boxes[:, 2], expected)


@pytest.mark.parametrize('text', [
    b'{"image_id": 1}',
    b'[{"image_id": 1, "category_id": 1, "score": NaN, "bbox": [1, 2, 3, 4]}]',
    b'[{"image_id": 1.0, "category_id": 1, "score": 0.5, "bbox": [1, 2, 3, 4]}]',
    b'[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]}]',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "bbox": [1, 2, 3]}]',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "bbox": [1, 2, 3, 4]}] x',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "bbox": [1, 2, 3, 4]},]',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "bbox": [1, 2, 3, 4]}',
    b'[{"image_id": 1, "category_id": 1, "score": 01, "bbox": [1, 2, 3, 4]}]',
    b'[{"image_id": 1, "category_id": 1, "score": .5, "bbox": [1, 2, 3, 4]}]',
    b'[{"\\u0069mage_id": 1, "category_id": 1, "score": 0.5}]',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "x": "bad \\q escape"}]',
    b'[{"image_id": 1, "category_id": 1, "score": 0.5, "x": [1, 2}]',
])
def test_anything_unusual_falls_back_to_json(tmp_path, text):
    path = tmp_path / 'r.json'
    path.write_bytes(text)
    assert scan_results_file(path) is None


def test_empty_list(tmp_path):
    path = tmp_path / 'r.json'
    path.write_bytes(b' [ ]\n')
    scanned = scan_results_file(path)
    assert len(scanned.scores) == 0 and scanned.segmentations is None
