"""Test a detector: python tools/test.py CONFIG CKPT [--eval bbox segm] [--out results.pkl]"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config  # noqa: E402
from mmengine.dist import is_main_process  # noqa: E402

from mmdet.calibration.testing import configure_test_mode, report_modes  # noqa: E402
from mmdet.engine import Runner  # noqa: E402
from mmdet.evaluation import ShardedMetric, masks_as_rles  # noqa: E402
from mmdet.evaluation.result_shards import write_pickled_list  # noqa: E402
from mmdet.registry import METRICS  # noqa: E402
from mmdet.utils.io import atomic_write  # noqa: E402
from mmdet.utils.setup_env import (add_launch_arguments, load_config,  # noqa: E402
                                    parse_tool_args, register_all_modules,
                                    setup_cfg_for_device)


RESULT_SHARDS_DIR = 'result_shards'  # in the work dir; emptied after evaluation
SHARDED_METRICS = ('LVISMetric', 'DumpDetResults')


@METRICS.register_module()
class DumpDetResults(ShardedMetric):
    """Writes every image's predictions (boxes, scores, labels, RLE masks) to a pickle: a
    list of per-image dicts in dataset order. Each rank streams its images to a shard
    file; rank 0 merges the shards into the pickle one image at a time."""

    def __init__(self, out_file_path: str, shard_dir: Optional[str] = None,
                 collect_device: str = 'cpu'):
        super().__init__(shard_dir=shard_dir, collect_device=collect_device)
        if not out_file_path.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {out_file_path}')
        self.out_file_path = out_file_path

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            pred = {k: v.cpu().numpy() for k, v in sample['pred_instances'].items()
                    if k != 'masks' and hasattr(v, 'cpu')}
            if 'masks' in sample['pred_instances']:
                pred['masks'] = masks_as_rles(sample['pred_instances']['masks'])
            self.add_result(dict(img_id=sample['img_id'], img_path=sample.get('img_path'),
                                 ori_shape=sample.get('ori_shape'), pred_instances=pred))

    def compute_metrics(self, results) -> dict:
        written = []
        atomic_write(self.out_file_path,
                     lambda f: written.append(write_pickled_list(f, results)))
        print(f'results of {written[0]} images written to {self.out_file_path}')
        return {}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a detector')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--eval', nargs='+', choices=['bbox', 'segm'],
                        help='metrics to evaluate (default: those of the config)')
    parser.add_argument('--out', help='write the raw predictions to this .pkl file')
    parser.add_argument('--mode', choices=['orig', 'cal', 'dual', 'all'],
                        help="SimCal configs: score with the original head, the calibrated "
                             "one, both (dual), or all three from one pass (default: the "
                             "config's model.roi_head.inference_mode)")
    parser.add_argument('--classwise', action='store_true',
                        help='also report per-class AP (e.g. for '
                             'tools/analysis/plot_ap_vs_frequency.py)')
    parser.add_argument('--format-only', action='store_true',
                        help='only write LVIS-format result json files (no evaluation)')
    parser.add_argument('--outfile-prefix', help='prefix of the LVIS-format result files')
    parser.add_argument('--show-dir', help='save images with predictions drawn into this folder')
    parser.add_argument('--no-fold-bn', dest='fold_bn', action='store_false',
                        help="keep the backbone's BatchNorms instead of folding them into "
                             'the convs (folding is exact up to float rounding)')
    parser.add_argument('--no-channels-last', dest='channels_last', action='store_false',
                        help='run the convolutions in NCHW instead of channels-last')
    add_launch_arguments(parser)
    return parse_tool_args(parser, argv)


def build_cfg(args) -> Config:
    cfg = load_config(args.config, args.launcher, args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
        cfg.test_evaluator]
    for evaluator in evaluators:
        if evaluator.get('type') != 'LVISMetric':
            continue
        if args.eval:
            evaluator.metric = list(args.eval)
        if args.format_only or args.outfile_prefix:
            evaluator.outfile_prefix = args.outfile_prefix or osp.join(cfg.work_dir, 'results')
        evaluator.format_only = args.format_only
        if args.classwise:
            evaluator.classwise = True
    cfg.test_evaluator = evaluators
    if args.mode:
        configure_test_mode(cfg, args.mode)
        evaluators = cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else [
            cfg.test_evaluator]
    if args.out:
        evaluators.append(dict(type='DumpDetResults', out_file_path=args.out))
    for evaluator in evaluators:  # per-rank result shards under the work dir
        if evaluator.get('type') in SHARDED_METRICS:
            evaluator.setdefault('shard_dir', osp.join(cfg.work_dir, RESULT_SHARDS_DIR))
    cfg.test_evaluator = evaluators
    # exact inference speed-ups, applied once the checkpoint is loaded
    hooks = [dict(type='PrepareInferenceHook', fold_norms=args.fold_bn,
                  channels_last=args.channels_last)]
    if args.show_dir:
        hooks.append(dict(type='DrawPredictionsHook', out_dir=args.show_dir))
    cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + hooks
    setup_cfg_for_device(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = build_cfg(args)
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    if args.mode == 'all' and is_main_process():
        print(report_modes(metrics, cfg.work_dir))
    return metrics


if __name__ == '__main__':
    main()
