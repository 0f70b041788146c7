"""Run configs as the tools build them: metric files under the work dir, the test
options, and one default for the inference speed-ups everywhere."""
import inspect
from pathlib import Path

import pytest

from mmdet.apis import build_test_cfg, build_train_cfg, init_detector
from mmdet.engine.hooks import PrepareInferenceHook
from mmdet.models.detectors.two_stage import TwoStageDetector
from tool_testing import load_tool

REPO = Path(__file__).resolve().parents[2]
TOY_CONFIG = str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py')
TOY_SIMCAL = str(REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py')


def test_metric_files_go_under_the_work_dir(tmp_path):
    work = tmp_path / 'work'
    cfg = build_test_cfg(TOY_CONFIG, 'model.pth', work_dir=str(work),
                         out=str(tmp_path / 'r.pkl'), classwise=True)
    assert [(e['type'], e['shard_dir'], e['rescue_dir']) for e in cfg.test_evaluator] == [
        ('DumpDetResults', str(work / 'result_shards'), str(work)),  # first: see run_test
        ('LVISMetric', str(work / 'result_shards'), str(work))]
    lvis = cfg.test_evaluator[1]
    assert lvis['classwise'] and lvis['classwise_dir'] == str(work)
    cfg = build_test_cfg(TOY_CONFIG, 'model.pth', work_dir=str(work),
                         cfg_options={'+test_evaluator.shard_dir': '/shared/shards'})
    assert cfg.test_evaluator[0]['shard_dir'] == '/shared/shards'  # the config's wins
    cfg = build_train_cfg(TOY_CONFIG, work_dir=str(work))
    assert cfg.val_evaluator[0]['shard_dir'] == str(work / 'result_shards')


def test_test_options(tmp_path):
    cfg = build_test_cfg(TOY_SIMCAL, 'model.pth', work_dir=str(tmp_path), eval=['bbox'],
                         mode='all', format_only=True, show_dir=str(tmp_path / 'show'))
    assert [e['prefix'] for e in cfg.test_evaluator] == ['orig', 'cal', 'dual']
    assert all(e['metric'] == ['bbox'] and e['format_only'] for e in cfg.test_evaluator)
    assert [e['outfile_prefix'] for e in cfg.test_evaluator] == [
        str(tmp_path / f'results.{m}') for m in ('orig', 'cal', 'dual')]
    assert [h['type'] for h in cfg.custom_hooks][-2:] == ['PrepareInferenceHook',
                                                         'DrawPredictionsHook']
    assert cfg.load_from == 'model.pth' and cfg.model.roi_head.inference_mode == 'all'


def test_a_configs_own_mode_all_gets_one_evaluator_per_mode(tmp_path):
    cfg = build_test_cfg(TOY_SIMCAL, 'model.pth', work_dir=str(tmp_path),
                         cfg_options={'model.roi_head.inference_mode': 'all'})
    assert [e['pred_field'] for e in cfg.test_evaluator] == [
        'pred_instances_orig', 'pred_instances_cal', 'pred_instances_dual']


def _default(func, name):
    return inspect.signature(func).parameters[name].default


def test_one_default_for_the_inference_speed_ups():
    """tools/test.py, the hook, the model and init_detector agree: BN folded and
    channels-last convolutions unless switched off."""
    tool = load_tool('tools/test.py')
    parsed = tool.parse_args(['config.py', 'model.pth'])
    for name, option in (('fold_norms', 'fold_bn'), ('channels_last', 'channels_last')):
        defaults = {_default(TwoStageDetector.prepare_for_inference, name),
                    _default(PrepareInferenceHook.__init__, name),
                    _default(init_detector, name), parsed[option],
                    _default(build_test_cfg, option)}
        assert defaults == {True}, name


def test_unknown_metric_types_are_left_to_the_runner(tmp_path):
    cfg = build_test_cfg(TOY_CONFIG, 'model.pth', work_dir=str(tmp_path),
                         cfg_options={'test_evaluator.type': 'NoSuchMetric'})
    assert 'shard_dir' not in cfg.test_evaluator[0]
    with pytest.raises(KeyError, match='NoSuchMetric'):
        from mmdet.registry import METRICS
        METRICS.build(cfg.test_evaluator[0])


def test_end_distributed_leaves_the_group_and_exits_cleanly(tmp_path):
    """A distributed tool run ends with the group destroyed and exit code 0 (output
    flushed); outside a process group it is a no-op."""
    import subprocess
    import sys

    from mmdet.apis.cli import end_distributed
    from tool_testing import tool_env
    end_distributed()  # no process group here: returns
    script = (
        "import torch.distributed as dist\n"
        f"dist.init_process_group('gloo', init_method='file://{tmp_path}/store', rank=0, "
        "world_size=1)\n"
        "print('work done', flush=False)\n"
        "from mmdet.apis.cli import end_distributed\n"
        "end_distributed()\n"
        "print('not reached')\n")
    proc = subprocess.run([sys.executable, '-c', script], env=tool_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ['work done']
