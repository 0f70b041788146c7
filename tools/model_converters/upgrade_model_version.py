"""Convert an mmdetection v1 two-stage checkpoint (e.g. the SimCal paper's released
models: Mask R-CNN, HTC) to this toolbox's layout, optionally merged with the original
SimCal calibration head(s) into one calibrated checkpoint:

    python tools/model_converters/upgrade_model_version.py OLD.pth NEW.pth [--num-classes N]
        [--calib-head HEAD.pth [STAGE1.pth STAGE2.pth] --train-ann TRAIN_ANN.json]

A cascade (HTC) takes one head per stage, in stage order.

--train-ann gives the merged head the training instance counts that 'dual' mode applies
T to (those of the data it was calibrated on). Then test with a v1 config
(configs/simcal/released/, configs/legacy_1.x/, configs/bags/released/).

A BAGS model of the original code (FishYuLi/BalancedGroupSoftmax) takes --bags
TRAIN_ANN.json, its training set, whose instance counts made its groups.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmdet.utils.model_versions import convert_v1_checkpoint  # noqa: E402


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description='mmdetection v1 checkpoint -> current layout')
    parser.add_argument('in_file', help='v1 checkpoint')
    parser.add_argument('out_file', help='converted checkpoint')
    parser.add_argument('--num-classes', type=int, help='expected number of classes (checked)')
    parser.add_argument('--calib-head', nargs='+',
                        help="the original SimCal code's calibration head (a cascade: one "
                             'per stage, in stage order), merged into the output')
    parser.add_argument('--train-ann', help='training annotation file whose instance '
                                            "counts the merged head gets ('dual' mode)")
    parser.add_argument('--bags', metavar='TRAIN_ANN',
                        help='the checkpoint is a BAGS model of the original code: its '
                             'training annotation file, whose instance counts made the '
                             'groups (they go into the head)')
    args = parser.parse_args(argv)
    found = convert_v1_checkpoint(args.in_file, args.out_file, args.num_classes,
                                  args.calib_head, args.train_ann, args.bags)
    print(f'{args.out_file}: {found}')
    return found


if __name__ == '__main__':
    main()
