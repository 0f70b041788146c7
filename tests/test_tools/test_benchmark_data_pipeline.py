"""tools/analysis/benchmark_data_pipeline.py: a tiny run of ours alone prints every row
of the table and of the mmcv comparison; with a stand-in mmdetection Python the rounds
alternate, its column and the ours/mmdetection ratios follow from its JSON line, and it
runs outside the checkout; both pipelines flip the same images for the same seeds."""
import ast
import contextlib
import copy
import io
import json
import random
import re

import numpy as np
import pytest
from mmcv.transforms import RandomFlip as MMCVRandomFlip

from mmdet.datasets.transforms import RandomFlip
from tool_testing import REPO, load_tool

NUMBER = r'\d+\.\d+'


@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis/benchmark_data_pipeline.py')


@pytest.fixture(scope='module')
def alone(tool, tmp_path_factory):
    """One real run of ours on 3 images (one crowded with 4 instances), with a Python that
    does not import mmdetection: its results, printout and our worker's JSON."""
    no_peer = tmp_path_factory.mktemp('peer') / 'plain_python'
    no_peer.write_text('#!/bin/sh\nexit 1\n')
    no_peer.chmod(0o755)
    recorded, run_ours = [], tool.run_ours

    def recording(*args):
        recorded.append(run_ours(*args))
        return recorded[-1]
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(io.StringIO()) as out:
        mp.setattr(tool, 'run_ours', recording)
        results = tool.main(['--num-images', '3', '--rounds', '1', '--max-instances', '4',
                             '--mmdet-python', str(no_peer)])
    return results, out.getvalue(), recorded[0]


def _rows(out: str) -> dict:
    """Table rows by their label (text before the first number)."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r'\s*(.*?[^\s\d.])\s+(-?\d[\d.\s-]*)$', line)
        if m:
            rows[m.group(1).strip()] = m.group(2).split()
    return rows


def test_ours_alone_prints_every_row(tool, alone):
    results, out, worker = alone
    assert 'does not import mmdetection 3.x: ours alone' in out
    assert 'generated in' in out and '3 images at COCO sizes' in out
    assert '1 image(s) with 4' in out and '1230 classes' in out
    assert ('pipeline (both): LoadImageFromFile(), LoadAnnotations(with_bbox=True, '
            'with_mask=True), Resize(scale=(1333, 800), keep_ratio=True), '
            'RandomFlip(prob=0.5), PackDetInputs()') in out
    assert re.search(rf'round 1: ours {NUMBER} images/s', out)
    header = next(line for line in out.splitlines() if line.startswith('one worker, 1 x 3'))
    assert header.split()[-1] == 'ours' and 'mmdetection' not in out.split('one worker')[1]
    rows = _rows(out)
    assert len(rows['images/s']) == 1 and float(rows['images/s'][0]) > 0
    for row in (*tool.ROWS, 'total'):
        assert len(rows[row]) == 1, row  # ours only: no ratio column
    for row in tool.MMCV_ROWS:
        timed = results['mmcv']['rows'][row]
        assert timed['ours'] > 0 and timed['mmcv'] > 0
        assert rows[row] == [f'{timed["ours"]:.2f}', f'{timed["mmcv"]:.2f}',
                             f'{timed["mmcv"] / timed["ours"]:.2f}']
    assert 'outputs equal: yes' in out
    assert re.search(rf'ours: {NUMBER} images/s per worker: 8 GPUs at 10 images/s each need '
                     r'\d+ worker\(s\) per GPU', out)
    ours = results['ours']
    assert ours['images_per_s'] == pytest.approx(1000 / ours['total_ms'])
    assert sum(ours['ms'].values()) == pytest.approx(ours['total_ms'])
    assert all(v >= 0 for v in ours['ms'].values()) and ours['ms']['read+decode'] > 0
    assert worker['images'] == 3 and worker['check']['instances'] == results['data']['instances']
    assert results['data']['max_per_image'] == 4 and results['mmcv']['same']


def test_stand_in_mmdetection_column_and_ratios(tool, alone, tmp_path, monkeypatch, capsys):
    """Its JSON line: our worker's, twice the seconds: every ratio is 2.00; the rounds
    alternate; it runs in its own Python from outside the checkout, without PYTHONPATH."""
    ours = alone[2]
    theirs = dict(copy.deepcopy(ours), seconds=2 * ours['seconds'],
                  steps={k: 2 * v for k, v in ours['steps'].items()})
    theirs.pop('mmcv')
    (tmp_path / 'line.json').write_text(json.dumps(theirs))
    log = tmp_path / 'calls.log'
    peer = tmp_path / 'peer_python'
    peer.write_text('#!/bin/sh\n'
                    f'echo "$(pwd)|$PYTHONPATH|$*" >> {log}\n'
                    'if [ "$1" = "-c" ]; then echo 3.3.0; exit 0; fi\n'
                    f'cat {tmp_path / "line.json"}\n')
    peer.chmod(0o755)

    def fake_ours(data_json, seed):
        with open(log, 'a') as f:
            f.write('ours\n')
        return copy.deepcopy(ours)
    monkeypatch.setattr(tool, 'run_ours', fake_ours)
    monkeypatch.setenv('PYTHONPATH', str(REPO))
    results = tool.main(['--num-images', '3', '--rounds', '2', '--max-instances', '4',
                         '--mmdet-python', str(peer)])
    out = capsys.readouterr().out
    calls = log.read_text().splitlines()
    assert [c if c == 'ours' else c.split('|')[2].split()[0] for c in calls] == [
        '-c', 'ours', str(REPO / 'tools/analysis/mmdet_peer_pipeline_worker.py'),
        str(REPO / 'tools/analysis/mmdet_peer_pipeline_worker.py'), 'ours']
    for call in calls[1:]:
        if call != 'ours':
            cwd, pythonpath, args = call.split('|')
            assert not cwd.startswith(str(REPO)) and pythonpath == ''
            assert '--pipeline' in args and '--data' in args
    assert 'mmdetection 3.3.0' in out
    assert re.search(rf'round 1: ours {NUMBER} images/s, mmdetection {NUMBER} images/s', out)
    assert re.search(rf'round 2: mmdetection {NUMBER} images/s, ours {NUMBER} images/s', out)
    assert 'mmdetection delivered the same (instances, mask pixels, image and box sums, ' \
           'flips): yes' in out
    header = next(line for line in out.splitlines() if line.startswith('one worker, 2 x 3'))
    assert header.split()[-3:] == ['ours', 'mmdetection', 'ours/mmdetection']
    rows = _rows(out)
    assert rows['images/s'][2] == '2.00'
    for row in (*tool.ROWS, 'total'):
        ours_ms, theirs_ms = float(rows[row][0]), float(rows[row][1])
        assert theirs_ms == pytest.approx(2 * ours_ms, abs=0.11), row
        if ours['steps'].get(row, 1) > 0:
            assert rows[row][2] == '2.00', row
    assert 'ours/mmdetection images/s ratio: 2.00' in out
    assert results['same_outputs'] is True
    assert results['ours']['images_per_s'] == pytest.approx(
        2 * results['mmdetection']['images_per_s'])

    # a peer that did other work (one instance less) gives no ratio: the run fails
    theirs['check'] = dict(theirs['check'], instances=theirs['check']['instances'] - 1)
    (tmp_path / 'line.json').write_text(json.dumps(theirs))
    with pytest.raises(SystemExit, match='different outputs'):
        tool.main(['--num-images', '3', '--rounds', '2', '--max-instances', '4',
                   '--mmdet-python', str(peer)])
    assert 'flips): NO' in capsys.readouterr().out


def test_both_flips_follow_the_per_image_seed(tool):
    """Our RandomFlip (Python's random) and mmcv's (numpy's) flip the same images."""
    from pipeline_timing import flip_seed, seed_all
    img = np.zeros((2, 3, 3), np.uint8)
    flips = []
    for i in range(40):
        seed_all(flip_seed(0, i))
        ours = RandomFlip(prob=0.5)(dict(img=img))['flip']
        seed_all(flip_seed(0, i))
        theirs = MMCVRandomFlip(prob=0.5)(dict(img=img))['flip']
        assert ours == theirs, i
        flips.append(ours)
    assert 10 < sum(flips) < 30
    random.seed()


def test_peer_worker_reads_the_pipeline_back_as_the_config_has_it():
    worker = load_tool('tools/analysis/mmdet_peer_pipeline_worker.py')
    pipeline = [dict(type='Resize', scale=(1333, 800), keep_ratio=True)]
    assert [worker.as_tuples(t) for t in json.loads(json.dumps(pipeline))] == pipeline
    tree = ast.parse((REPO / 'tools/analysis/mmdet_peer_pipeline_worker.py').read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    # mmdet.datasets and mmdet.utils are mmdetection's there; nothing only we have
    assert imported == {'argparse', 'json', 'os', 'sys', 'pipeline_timing',
                        'mmengine.registry', 'mmdet.datasets', 'mmdet.utils'}
