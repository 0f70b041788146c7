"""tools/analysis/benchmark_lvis_eval.py: its synthetic problem and its peers agree."""
import json

import pytest

from tool_testing import load_tool



@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis/benchmark_lvis_eval.py')


@pytest.mark.parametrize('iou_type, version', [('bbox', 'v1'), ('segm', 'v0.5')])
def test_synthetic_problem_and_peers(tool, official, tmp_path, iou_type, version):
    tool.make_problem(6, version, iou_type, seed=1, out_dir=tmp_path)
    gt = json.loads((tmp_path / 'gt.json').read_text())
    dets = json.loads((tmp_path / 'dt.json').read_text())
    num_cats, n_r, n_c, n_f = tool.VERSIONS[version]
    assert [sum(c['frequency'] == f for c in gt['categories']) for f in 'rcf'] == [n_r, n_c, n_f]
    assert len(dets) == 6 * tool.DETS_PER_IMAGE
    assert all(img['neg_category_ids'] for img in gt['images'])
    runs = {name: tool.run_peer(name, str(tmp_path / 'gt.json'), str(tmp_path / 'dt.json'),
                                iou_type) for name in ('ours', 'official')}
    for key in tool.METRIC_KEYS:
        assert runs['ours']['metrics'][key] == pytest.approx(runs['official']['metrics'][key],
                                                             abs=1e-9)
    assert runs['ours']['peak_rss_gib'] > 0 and runs['ours']['total_s'] > 0


def test_coco_protocol_peers_agree(tool, tmp_path):
    tool.make_problem(6, 'v0.5', 'segm', seed=2, out_dir=tmp_path)
    runs = {name: tool.run_peer(name, str(tmp_path / 'gt.json'), str(tmp_path / 'dt.json'),
                                'segm', protocol='coco') for name in ('ours', 'pycocotools')}
    for key in tool.COCO_KEYS:
        assert runs['ours']['metrics'][key] == runs['pycocotools']['metrics'][key], key
    assert 0 < runs['ours']['metrics']['AP'] < 1
