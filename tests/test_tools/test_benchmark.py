"""tools/analysis/benchmark.py: torchvision gets the same network, and a tiny run of the
whole benchmark produces every line for both detectors."""
from argparse import Namespace

import pytest
import torch

from tool_testing import load_tool



@pytest.fixture(scope='module')
def tool():
    return load_tool('tools/analysis/benchmark.py')


def test_torchvision_gets_our_network(tool):
    args = Namespace(toy=False, num_classes=7, score_thr=1e-4, max_per_img=300, seed=0)
    ours = tool.build_ours(args)
    theirs = tool.build_torchvision(args, (64, 96), tool.to_torchvision_state(ours.state_dict()))
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        our_feats = ours.extract_feat(x)
        their_feats = list(theirs.backbone(x).values())
        assert len(our_feats) == len(their_feats) == 5
        for a, b in zip(our_feats, their_feats):
            torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
        roi_feats = torch.randn(3, 256, 7, 7)
        cls, reg = ours.roi_head.bbox_head(roi_feats)
        their_cls, their_reg = theirs.roi_heads.box_predictor(
            theirs.roi_heads.box_head(roi_feats))
    # torchvision: background first, and box deltas for it (zero)
    torch.testing.assert_close(their_cls, torch.cat([cls[:, -1:], cls[:, :-1]], 1))
    torch.testing.assert_close(their_reg[:, 4:], reg)
    assert not their_reg[:, :4].any()


def test_tiny_run_reports_every_line(tool, capsys):
    results = tool.main(['--sizes', '64x96', '--runs', '1', '--warmup', '0',
                         '--num-classes', '20'])
    out = capsys.readouterr().out
    assert 'peaked classifier' in out and 'ours/theirs' in out
    by_impl = results['64x96']
    assert set(by_impl) == {'ours', 'torchvision'}
    for impl, lines in by_impl.items():
        for key in tool.STAGES + ('end to end', 'training step (2 images)'):
            assert lines[key] > 0, (impl, key)
        assert lines['peak memory, training (MB)'] > 0


def test_cascade_run_reports_every_line_for_both_of_our_detectors(tool, capsys):
    results = tool.main(['--toy', '--cascade', '--sizes', '96x96', '--runs', '1',
                         '--warmup', '0'])
    out = capsys.readouterr().out
    assert 'cascade: peaked classifier' in out and 'ours/cascade' in out
    by_impl = results['96x96']
    assert set(by_impl) == {'ours', 'cascade'}
    for impl, lines in by_impl.items():
        for key in tool.STAGES + ('end to end', 'training step (2 images)'):
            assert lines[key] > 0, (impl, key)
        assert lines['peak memory, inference (MB)'] >= 0


def test_stages_are_timed_on_the_models_own_predict_path(tool):
    """The stage times come from wrapping the model's methods during one test_step (no
    copy of its steps): every stage is timed, the outputs are the plain ones, and the
    methods are the class's again afterwards."""
    args = Namespace(toy=True, num_classes=50, score_thr=1e-4, max_per_img=100, seed=0)
    model = tool.build_ours(args)
    model.prepare_for_inference()
    images = tool.make_images((96, 128), 1, 0)
    with torch.inference_mode():
        times, num = tool.ours_stages(model, tool.ours_batch(images), tool.Clock('cpu'), 'rle')
        plain = model.test_step(tool.ours_batch(images))
    assert num == len(plain[0].pred_instances) > 0
    assert all(times[stage] > 0 for stage in tool.STAGES), times
    assert times['box head + post'] >= times['  box post-processing']
    for obj, name in [m for methods in tool.ours_steps(model).values() for m in methods]:
        assert name not in vars(obj), name  # the wrappers are gone


def test_htc_is_timed_on_its_own_predict_path_and_reported_beside_the_others(tool, capsys):
    """HTC (the LVIS config at 7 classes) goes through the same stage wrappers; the table
    puts ours / each other detector after the columns."""
    args = Namespace(toy=False, num_classes=7, score_thr=1e-4, max_per_img=100, seed=0)
    model = tool.build_ours(args, 'htc')
    assert type(model).__name__ == 'HybridTaskCascade'
    model.prepare_for_inference()
    images = tool.make_images((64, 96), 1, 0)
    with torch.inference_mode():
        times, num = tool.ours_stages(model, tool.ours_batch(images), tool.Clock('cpu'), 'rle')
        plain = model.test_step(tool.ours_batch(images))
    assert num == len(plain[0].pred_instances)
    assert all(times[stage] > 0 for stage in tool.STAGES), times
    lines = {'end to end': 1.0, 'peak memory, inference (MB)': 100}
    tool.print_table((64, 96), {'ours': lines, 'cascade': dict(lines, **{'end to end': 2.0}),
                                'htc': dict(lines, **{'end to end': 4.0})}, '')
    out = capsys.readouterr().out
    assert 'ours/cascade' in out and 'ours/htc' in out
    assert out.splitlines()[-2].split()[-2:] == ['0.50', '0.25']


def test_mmdetection_column_from_a_peer_python(tool, tmp_path, capsys):
    """A Python that imports mmdetection 3.x runs the mmdetection worker (here a stand-in
    answering the probe and the worker's protocol) and its column gets ours/mmdetection
    ratios; a Python that does not import it gives no column."""
    peer = tmp_path / 'peer_python'
    peer.write_text(
        '#!/bin/sh\n'
        'if [ "$1" = "-c" ]; then echo 3.3.0; exit 0; fi\n'
        'case "$*" in *"--phase train"*) echo \'{"training step (2 images)": 2.0}\';;\n'
        '*) echo \'{"end to end": 4.0, "roi heads + paste": 1.0}\';; esac\n')
    peer.chmod(0o755)
    assert tool.mmdetection_peer(str(peer)) == '3.3.0'
    args = Namespace(mmdet_python=str(peer), runs=1, warmup=0, num_classes=20,
                     score_thr=1e-4, max_per_img=300, seed=0, profile=0)
    theirs = tool.run_worker('mmdetection', (64, 96), str(tmp_path / 'w.pth'), args)
    assert theirs == {'end to end': 4.0, 'roi heads + paste': 1.0,
                      'training step (2 images)': 2.0}
    ours = {'end to end': 1.0, 'roi heads + paste': 0.5, 'training step (2 images)': 1.0,
            'rpn': 0.1}
    tool.print_table((64, 96), {'ours': ours, 'torchvision': dict(ours, **{'end to end': 2.0}),
                                'mmdetection': theirs}, '')
    lines = {line.split('  ')[0]: line.split() for line in capsys.readouterr().out.splitlines()}
    assert lines['end to end'][-2:] == ['0.50', '0.25']     # ours/theirs, ours/mmdetection
    assert lines['rpn'][1:6] == ['0.100', 's', '0.100', 's', '-']  # mmdetection: no such line
    no_peer = tmp_path / 'plain_python'
    no_peer.write_text('#!/bin/sh\nexit 1\n')
    no_peer.chmod(0o755)
    assert tool.mmdetection_peer(str(no_peer)) == ''


def test_training_step_profile_lists_the_top_operators(tool, capsys):
    a, b = torch.randn(300, 300), torch.randn(300, 300)

    def step():
        for _ in range(20):
            torch.mm(a, b)
        torch.relu(a)
    top = tool.top_operators(step, 3)
    assert top[0][0] == 'aten::mm' and top[0][2] == 20 and top[0][1] > 0
    assert len(top) == 3
    tool.print_top_operators({'ours': top, 'mmdetection': top[:1]})
    out = capsys.readouterr().out.splitlines()
    assert out[-4].split() == ['ours', 'mmdetection']
    assert out[-3].split()[:3] == ['aten::mm', f'{top[0][1]:.1f}', '20']
    assert out[-3].split()[3] == 'aten::mm' and len(out[-2].split()) == 3
