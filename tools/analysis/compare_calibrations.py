"""SimCal beside BAGS, NorCal and tau-normalisation on one stage-1 model: one table
(AP, APr/APc/APf, AP1..AP4, bAP; bbox and segm) and one AP-vs-frequency plot.

    python tools/analysis/compare_calibrations.py SIMCAL_CONFIG SIMCAL_CKPT \
        --bags BAGS_CONFIG BAGS_CKPT --gamma 0.6 [--tau 1.0] \
        [--sweep-gamma 0.2 0.4 0.6 0.8 1.0] [--sweep-tau 0.5 1.0 1.5] [--work-dir DIR]

The first model is a SimCal-calibrated one (orig, cal and dual come from it; a stage-1
model gives orig alone); NorCal and tau-norm calibrate its original head in the same
test pass; the BAGS model (trained from the same stage-1 weights, configs/bags/) is
tested in a second pass. Without --gamma (with --no-tau) the best AP of --sweep-gamma
(--sweep-tau) is reported, chosen on the evaluated set, as NorCal tunes gamma on val.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mmdet.apis.compare import compare_calibrations  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='config of the SimCal (or stage-1) model')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument('--bags', nargs=2, metavar=('CONFIG', 'CKPT'),
                        help='a BAGS model trained from the same stage-1 model')
    parser.add_argument('--gamma', type=float, help="NorCal's gamma")
    parser.add_argument('--tau', type=float, default=1.0,
                        help='tau of the tau-normalisation (default 1.0)')
    parser.add_argument('--no-tau', dest='tau', action='store_const', const=None,
                        help='report the best tau of --sweep-tau instead of --tau')
    parser.add_argument('--sweep-gamma', nargs='+', type=float, default=[],
                        help='NorCal gammas to score too (one test pass for all)')
    parser.add_argument('--sweep-tau', nargs='+', type=float, default=[],
                        help='taus to score too')
    parser.add_argument('--work-dir', default='work_dirs/compare_calibrations')
    parser.add_argument('--no-plot', dest='plot', action='store_false')
    args = parser.parse_args(argv)
    result = compare_calibrations(args.work_dir, (args.config, args.checkpoint), args.bags,
                                  args.gamma, args.tau, args.sweep_gamma, args.sweep_tau,
                                  plot=args.plot)
    print('\n' + result['table'])
    if result['sweep_table']:
        print('\nsweep:\n' + result['sweep_table'])
    for note in result['notes']:
        print(f'note: {note}')
    print('timings: ' + ', '.join(f'{k} {v:.0f} s' for k, v in result['timings'].items()))
    if 'plot' in result:
        print(f'plot: {result["plot"]}')
    return result


if __name__ == '__main__':
    main()
