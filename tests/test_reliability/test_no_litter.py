"""No litter and no surprises: shards of killed runs, log folders, big garbage result
files, broken RLEs, spurious registry warnings."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lvis_api import LVIS, LVISResults
from lvis_api.errors import LVISFormatError
from mmdet.evaluation.result_shards import ShardWriter
from reliability_testing import run_train


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_shards_of_killed_processes_are_removed_by_the_next_writer(tmp_path):
    from mmdet.evaluation import result_shards
    folder = tmp_path / 'result_shards'
    folder.mkdir()
    host = result_shards._HOST
    orphan = folder / f'LVISMetric.rank0.{host}-{_dead_pid()}.abc123.pkl'
    alive = folder / f'LVISMetric.rank1.{host}-{os.getppid()}.def456.pkl'
    other_host = folder / f'LVISMetric.rank0.elsewhere-{_dead_pid()}.ghi789.pkl'
    for path in (orphan, alive, other_host):
        path.write_bytes(b'x')
    writer = ShardWriter(str(folder), 'LVISMetric')
    writer.append({'img_id': 1})
    assert not orphan.exists()
    assert alive.exists() and other_host.exists()  # running, or not this machine's
    writer.remove()
    assert sorted(os.listdir(folder)) == sorted([alive.name, other_host.name])


def test_runs_started_in_the_same_second_get_their_own_log_folders(toy, tmp_path, monkeypatch):
    import time
    _, cfg, _ = toy
    monkeypatch.setattr(time, 'time', lambda: 1_800_000_000.0)  # one frozen second
    from mmdet.apis import build_train_cfg
    from mmdet.apis.train import train_runner
    work = tmp_path / 'work'
    first = train_runner(build_train_cfg(str(cfg), work_dir=str(work)))
    second = train_runner(build_train_cfg(str(cfg), work_dir=str(work)))
    assert first.log_dir != second.log_dir
    assert second.log_dir == first.log_dir + '_1'


def test_big_garbage_results_file_is_rejected_from_its_first_bytes(tmp_path):
    gt = LVIS(dict(images=[dict(id=1, width=4, height=4, neg_category_ids=[],
                                not_exhaustive_category_ids=[])],
                   annotations=[], categories=[dict(id=1, name='a', frequency='r')]))
    path = tmp_path / 'results.json'
    with open(path, 'wb') as f:
        f.write(b'\x89PNG garbage')
        f.truncate(300 * 2**20)  # 300 MB, sparse
    read = _bytes_read(lambda: _expect_format_error(
        gt, path, r"results\.json: results are a JSON list, and the file starts with b'\\x89PNG"))
    assert read < 2**20


def test_invalid_json_results_file_is_read_once(tmp_path):
    gt = LVIS(dict(images=[dict(id=1, width=4, height=4)], annotations=[],
                   categories=[dict(id=1, name='a')]))
    unclosed = b'[{"image_id": 1, "category_id": 1, "score": 0.5, "bbox": [0, 0, 1, 1]'
    (tmp_path / 'warm_up.json').write_bytes(unclosed)  # loads the compiled scanner
    _expect_format_error(gt, tmp_path / 'warm_up.json', 'malformed JSON')
    path = tmp_path / 'results.json'
    size = 8 * 2**20
    path.write_bytes(unclosed + b' ' * size)
    read = _bytes_read(lambda: _expect_format_error(gt, path, 'malformed JSON'))
    assert read < 1.5 * size, f'{read} bytes read for a file of {size}'


def _expect_format_error(gt, path, match):
    with pytest.raises(LVISFormatError, match=match):
        LVISResults(gt, str(path))


def _bytes_read(action) -> int:
    """Bytes this process read from files during ``action`` (Linux /proc/self/io)."""
    def rchar():
        with open('/proc/self/io') as f:
            return int(next(line for line in f if line.startswith('rchar')).split()[1])
    before = rchar()
    action()
    return rchar() - before


@pytest.mark.parametrize('counts, problem', [('\x00\x01\xff', 'segmentation'),
                                             ('PPP0', 'segmentation'), ('', 'segmentation')])
def test_results_with_garbage_or_truncated_rles_are_rejected(tmp_path, counts, problem):
    import pycocotools.mask as mask_utils
    gt = LVIS(dict(images=[dict(id=1, width=8, height=8, neg_category_ids=[],
                                not_exhaustive_category_ids=[])],
                   annotations=[], categories=[dict(id=1, name='a', frequency='r')]))
    good = mask_utils.encode(np.asfortranarray(np.ones((8, 8), np.uint8)))
    good = dict(size=good['size'], counts=good['counts'].decode())
    results = [dict(image_id=1, category_id=1, score=0.9, segmentation=good),
               dict(image_id=1, category_id=1, score=0.8,
                    segmentation=dict(size=[8, 8], counts=counts))]
    path = tmp_path / 'segm.json'
    path.write_text(json.dumps(results))
    with pytest.raises(LVISFormatError, match=rf'segm\.json: results\[1\] .*{problem}'):
        LVISResults(gt, str(path))


def test_training_logs_no_registry_scope_warning(toy, tmp_path, capsys):
    _, cfg, _ = toy
    run_train(cfg, tmp_path / 'work', cfg_options={'train_cfg.max_epochs': 1})
    logs = ''.join(open(p).read() for p in (tmp_path / 'work').glob('*/*.log'))
    assert 'Failed to search registry' not in logs + capsys.readouterr().out
