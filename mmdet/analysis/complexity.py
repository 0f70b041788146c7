"""Parameters and FLOPs per module (``tools/analysis/get_flops.py``).

FLOPs are counted by ``torch.utils.flop_counter`` over one test step on a random image of
the given size: the whole inference the model runs (RPN, the RoI heads on the proposals
it keeps, the mask head on its detections), multiply-adds counted as two FLOPs; NMS and
other non-arithmetic work are not counted.
"""
from collections import OrderedDict
from typing import Dict, Tuple

import torch
from torch.utils.flop_counter import FlopCounterMode


def parameter_counts(model: torch.nn.Module, depth: int = 2) -> Dict[str, int]:
    """Parameters of every module up to ``depth`` levels below the model ('' = all)."""
    counts: Dict[str, int] = OrderedDict([('', 0)])
    for name, param in model.named_parameters():
        parts = name.split('.')[:-1]
        counts[''] += param.numel()
        for level in range(1, min(depth, len(parts)) + 1):
            key = '.'.join(parts[:level])
            counts[key] = counts.get(key, 0) + param.numel()
    return counts


@torch.no_grad()
def flop_counts(model: torch.nn.Module, shape: Tuple[int, int], depth: int = 2,
                seed: int = 0) -> Dict[str, int]:
    """FLOPs of one test step on a random ``shape`` (H, W) image, per module up to
    ``depth`` levels ('' = all)."""
    from mmdet.structures import DetDataSample
    h, w = shape
    gen = torch.Generator().manual_seed(seed)
    img = torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen)
    sample = DetDataSample(metainfo=dict(img_id=0, img_shape=(h, w), ori_shape=(h, w),
                                         scale_factor=(1.0, 1.0)))
    counter = FlopCounterMode(display=False, depth=1000)
    with counter:
        model.eval().test_step(dict(inputs=[img], data_samples=[sample]))
    root = type(model).__name__
    inclusive = {name[len(root) + 1:]: sum(ops.values())
                 for name, ops in counter.get_flop_counts().items()
                 if name.startswith(root + '.')}
    out: Dict[str, int] = OrderedDict([('', counter.get_total_flops())])
    # a module's own FLOPs (without its tracked submodules'), summed into its ancestors:
    # containers whose children are called directly (ModuleList, heads used through
    # their methods) still get their submodules' FLOPs
    for name, flops in _own_flops(inclusive).items():
        parts = name.split('.')
        for level in range(1, min(depth, len(parts)) + 1):
            key = '.'.join(parts[:level])
            out[key] = out.get(key, 0) + flops
    return out


def _own_flops(inclusive: Dict[str, int]) -> Dict[str, int]:
    own = dict(inclusive)
    for name in inclusive:
        parents = [p for p in inclusive if name.startswith(p + '.')]
        if parents:
            own[max(parents, key=len)] -= inclusive[name]
    return own


def complexity_table(params: Dict[str, int], flops: Dict[str, int]) -> str:
    """Rows of module, parameters (M) and GFLOPs, in the model's module order."""
    from terminaltables import AsciiTable
    names = [n for n in params if n] + [n for n in flops if n and n not in params]
    rows = [['module', 'params (M)', 'GFLOPs']]
    for name in names:
        rows.append([name, f'{params.get(name, 0) / 1e6:.3f}',
                     f'{flops.get(name, 0) / 1e9:.3f}'])
    rows.append(['total', f'{params[""] / 1e6:.3f}', f'{flops[""] / 1e9:.3f}'])
    return AsciiTable(rows).table
