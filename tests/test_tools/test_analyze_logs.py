"""tools/analysis/analyze_logs.py on generated scalars.json logs: the plotted curves are
the logged values, work dirs resolve to their newest log, unknown keys are named."""
import json

import pytest

from tool_testing import load_tool


def _write_log(work_dir, stamp, losses, aps, times):
    path = work_dir / stamp / 'vis_data' / 'scalars.json'
    path.parent.mkdir(parents=True)
    lines = [dict(lr=0.01, loss=loss, time=t, epoch=1 + i // 2, iter=10 * (i + 1),
                  step=10 * (i + 1)) for i, (loss, t) in enumerate(zip(losses, times))]
    lines += [{'lvis/segm_AP': ap, 'lvis/segm_APr': ap / 2, 'step': e + 1}
              for e, ap in enumerate(aps)]
    path.write_text('\n'.join(json.dumps(x) for x in lines) + '\n')
    return path


def test_plot_curve_and_train_time(tmp_path, capsys):
    tool = load_tool('tools/analysis/analyze_logs.py')
    a = tmp_path / 'a'
    _write_log(a, '20260101_000000', [9.0, 9.0], [0.0], [9.0, 9.0])  # older: not read
    _write_log(a, '20261203_000000', [3.0, 2.5, 2.0, 1.8], [0.1, 0.2], [0.5, 0.7, 0.4, 0.4])
    b = _write_log(tmp_path / 'b', '20261203_000000', [4.0, 3.0], [0.05], [1.0, 1.0])
    out = tmp_path / 'curves.png'
    data = tool.main(['plot_curve', str(a), str(b), '--keys', 'loss', 'lvis/segm_AP',
                      '--legend', 'A', 'B', '--out', str(out)])
    assert data['loss'][str(a)] == ([10.0, 20.0, 30.0, 40.0], [3.0, 2.5, 2.0, 1.8])
    assert data['loss'][str(b)] == ([10.0, 20.0], [4.0, 3.0])
    assert data['lvis/segm_AP'][str(a)] == ([1.0, 2.0], [0.1, 0.2])
    assert out.stat().st_size > 10_000  # a drawn figure, two panels
    timing = tool.main(['cal_train_time', str(a)])[str(a)]
    assert timing['mean_s'] == pytest.approx(0.5)
    assert timing['slowest_epoch'] == 1 and timing['fastest_epoch'] == 2
    with pytest.raises(KeyError, match="no log has 'loss_mask'.*lvis/segm_APr"):
        tool.main(['plot_curve', str(a), '--keys', 'loss_mask'])
    with pytest.raises(FileNotFoundError, match='scalars.json'):
        tool.main(['plot_curve', str(tmp_path / 'nothing')])
