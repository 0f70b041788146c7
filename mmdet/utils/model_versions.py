"""mmdetection v1 checkpoints (the layout of the SimCal paper's release) in this
toolbox's (mmdetection 2.x/3.x) layout.

Two-stage detectors: ``bbox_head.*`` and ``mask_head.*`` move under ``roi_head.``; v1
put the background class FIRST, so the classifier's background row moves to the end,
and class-wise box regression (4 rows per class) and mask logits (a channel per class)
lose their background rows, which v1 trained but never used. Class-agnostic heads (4
regression rows, 1 mask channel) keep theirs. Cascades (Cascade R-CNN, HTC) get the same
per stage (``bbox_head.N.*``, ``mask_head.N.*``); HTC's ``semantic_head.*`` moves under
``roi_head.`` too, its first mask head loses the ``conv_res`` that v1 built but never
used, and v1's deformable convolutions keep their offsets in ``conv2_offset`` where
mmdetection 2.x/3.x has ``conv2.conv_offset``.

BAGS checkpoints of the original code (FishYuLi/BalancedGroupSoftmax, on v1): the
grouped classifier keeps its groups (by the training instance counts, which the original
computes the same way) but each count group's "others" output moves from first to last
(our layout, :mod:`mmdet.calibration.bags`); the counts go into the head.

SimCal calibration heads as the original code saved them: ``feat_classifier.fc1``,
``fc2``, ``fc_classifier`` (3-fc heads) or ``feat_extractor.fc1``, ``fc2`` (2fc_rand),
background first, become ``roi_head.calib_head.*`` (background last); a cascade's, one
file per stage, ``roi_head.calib_head.{stage}.*``.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .checkpoint import CheckpointError

V1_ROI_HEADS = ('bbox_head.', 'mask_head.', 'semantic_head.')
CALIB_PREFIX = 'roi_head.calib_head.'
V1_CALIB_LAYERS = {  # (original module, our layer) per head layout
    '3fc': (('feat_classifier.fc1', 'shared_fcs.0'), ('feat_classifier.fc2', 'shared_fcs.1'),
            ('feat_classifier.fc_classifier', 'fc_cls')),
    '2fc': (('feat_extractor.fc1', 'shared_fcs.0'), ('feat_extractor.fc2', 'fc_cls')),
}


def is_v1_detector(state: Dict[str, Tensor]) -> bool:
    """The v1 two-stage layout: an RoI box classifier (``bbox_head.fc_cls``, or a cascade
    stage's ``bbox_head.N.fc_cls``) at the top level, nothing under ``roi_head.``.
    (Single-stage heads, e.g. RetinaNet's ``bbox_head.retina_cls``, are not RoI heads.)"""
    return (any(re.fullmatch(r'bbox_head\.(\d+\.)?fc_cls\.weight', k) for k in state)
            and not any(k.startswith('roi_head.') for k in state))


V1_MODULE_TYPES = ('LegacyAnchorGenerator', 'LegacyDeltaXYWHBBoxCoder')
CONVERTER = 'tools/model_converters/upgrade_model_version.py'


def checkpoint_convention(ckpt: dict) -> Optional[str]:
    """The box convention a checkpoint was trained with, as far as its meta tells: 'v1'
    (converted from mmdetection v1, or trained with a config of v1 modules), 'current'
    (trained with a config without them) or None (unknown, e.g. no meta)."""
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict):
        return None
    if (meta.get('converted_from') or {}).get('layout') == 'mmdetection v1':
        return 'v1'
    cfg_text = meta.get('cfg', meta.get('config'))  # mmengine's key, mmdetection 2.x's
    if cfg_text is None:
        return None
    return 'v1' if any(t in str(cfg_text) for t in V1_MODULE_TYPES) else 'current'


def model_convention(model) -> str:
    """'v1' when the model decodes or generates boxes with mmdetection v1's modules."""
    for module in model.modules():
        for name in ('prior_generator', 'bbox_coder'):
            if type(getattr(module, name, None)).__name__ in V1_MODULE_TYPES:
                return 'v1'
    return 'current'


def config_convention(model_cfg) -> str:
    """:func:`model_convention` of the model a config would build."""
    def types(node):
        if isinstance(node, dict):
            yield node.get('type')
            for value in node.values():
                yield from types(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                yield from types(value)
    return 'v1' if any(t in V1_MODULE_TYPES for t in types(model_cfg)) else 'current'


def check_head_layout(model_cfg, state: Dict[str, Tensor], source: str) -> None:
    """Class-wise or class-agnostic box regression and masks as the config says (before a
    calibration run: the runner's strict load would stop it only after loading the data)."""
    roi_head = model_cfg.get('roi_head') or {}
    bbox, mask = roi_head.get('bbox_head') or {}, roi_head.get('mask_head') or {}
    if not isinstance(bbox, dict) or not isinstance(mask, dict):
        return  # cascade stages: the runner's strict load names any misfit
    classes = bbox.get('num_classes')
    expected = {  # key: (rows, config key, class-agnostic)
        'roi_head.bbox_head.fc_reg.weight': (
            4 if bbox.get('reg_class_agnostic') else 4 * (classes or 0),
            'model.roi_head.bbox_head.reg_class_agnostic', bbox.get('reg_class_agnostic')),
        'roi_head.mask_head.conv_logits.weight': (
            1 if mask.get('class_agnostic') else mask.get('num_classes', classes),
            'model.roi_head.mask_head.class_agnostic', mask.get('class_agnostic'))}
    for key, (rows, option, agnostic) in expected.items():
        weight = state.get(key)
        if weight is None or not rows or weight.shape[0] == rows:
            continue
        raise CheckpointError(
            f'{source}: {key} has shape {tuple(weight.shape)}, the config\'s model '
            f'{(rows, ) + tuple(weight.shape[1:])} ({option}={bool(agnostic)}): '
            'use the config of the head the checkpoint was trained with')


def check_checkpoint_version(ckpt: dict, state: Dict[str, Tensor], convention: str,
                             source: str) -> None:
    """A v1-layout checkpoint, or one trained with the other box convention than the
    model's (``convention``), is an error saying what to do."""
    if is_v1_detector(state):
        raise CheckpointError(
            f'{source} is an mmdetection v1 checkpoint (bbox_head.* at the top level, the '
            f'background class first): convert it with python {CONVERTER} {source} '
            'NEW.pth, and test NEW.pth with a v1 config (configs/legacy_1.x, '
            'configs/simcal/released)')
    trained = checkpoint_convention(ckpt)
    if trained is not None and trained != convention:
        what = {'v1': "mmdetection v1's box convention (+1 sizes, LegacyAnchorGenerator, "
                      'LegacyDeltaXYWHBBoxCoder)',
                'current': 'the current box convention (no Legacy* modules)'}
        use = {'v1': 'a v1 config (configs/legacy_1.x, configs/simcal/released)',
               'current': 'a config without Legacy* modules'}
        raise CheckpointError(f"{source} was trained with {what[trained]}, the config's "
                              f'model uses {what[convention]}: its boxes would be off. '
                              f'Use {use[trained]}')


def _background_last(value: Tensor) -> Tensor:
    return torch.cat([value[1:], value[:1]])


def bags_v1_rows(train_instance_counts: Sequence[int], group_edges: Sequence[int]) -> Tensor:
    """For each output of our grouped classifier, its row in the original BAGS one: the
    same groups and slices (group 0 [background, foreground], then each count group's
    classes in class order), but the original puts each count group's "others" first."""
    from mmdet.calibration.bags import bags_groups
    groups = bags_groups(train_instance_counts, group_edges)
    rows = [0, 1]
    for part in groups.slices[1:]:
        rows += list(range(part.start + 1, part.stop)) + [part.start]
    return torch.tensor(rows)


def upgrade_v1_detector(state: Dict[str, Tensor], num_classes: Optional[int] = None,
                        source: str = 'checkpoint',
                        bags_counts: Optional[Sequence[int]] = None,
                        group_edges: Sequence[int] = (10, 100, 1000)
                        ) -> Tuple['OrderedDict[str, Tensor]', dict]:
    """The v1 two-stage ``state`` (single-stage RoI head or cascade) in the current
    layout, and what was found (``num_classes``, ``num_stages`` (0: not a cascade),
    ``reg_class_agnostic``, ``mask_class_agnostic``). ``bags_counts``: the checkpoint is
    an original BAGS model whose classes were grouped by these training instance counts
    (by ``group_edges``); they go into each box head as ``train_instance_counts``."""
    if not is_v1_detector(state):
        raise CheckpointError(f'{source} is not an mmdetection v1 two-stage checkpoint (no '
                              'top-level bbox_head.*; roi_head.* means it is already 2.x/3.x)')
    stages = sorted({int(m.group(1)) for k in state
                     for m in [re.fullmatch(r'bbox_head\.(\d+)\.fc_cls\.weight', k)] if m})
    heads = [f'bbox_head.{s}.' for s in stages] or ['bbox_head.']
    rows = {state[f'{h}fc_cls.weight'].shape[0] for h in heads}
    if len(rows) != 1:
        raise CheckpointError(f'{source}: the cascade stages classify different numbers of '
                              f'classes {sorted(rows)}')
    rows = rows.pop()
    bags_rows = None
    if bags_counts is not None:
        classes = len(bags_counts)
        bags_rows = bags_v1_rows(bags_counts, group_edges)
        if rows != len(bags_rows):
            raise CheckpointError(
                f'{source}: {heads[0]}fc_cls.weight has {rows} rows; BAGS groups of '
                f'{classes} classes by edges {tuple(group_edges)} have {len(bags_rows)} '
                'outputs: the training file is not the one the model was trained on, or '
                'the checkpoint is not a BAGS model')
    else:
        classes = rows - 1
        _check_not_grouped(state, heads, rows, source)
    if num_classes is not None and num_classes != classes:
        raise CheckpointError(f'{source}: {heads[0]}fc_cls.weight has {classes} classes '
                              f'(+ background), --num-classes says {num_classes}')
    found = dict(num_classes=classes, num_stages=len(stages))
    out = OrderedDict()
    for key, value in state.items():
        if key.startswith('mask_head.0.conv_res.'):
            continue  # v1 built it in HTC's first mask head too, never used it there
        head = re.match(r'(bbox_head|mask_head)\.(\d+\.)?', key)
        rest = key[head.end():] if head else ''
        if head and head.group(1) == 'bbox_head' and rest.startswith('fc_cls.'):
            value = value[bags_rows] if bags_rows is not None else _background_last(value)
        elif head and head.group(1) == 'bbox_head' and rest.startswith('fc_reg.'):
            found['reg_class_agnostic'] = _check_rows(
                source, key, value, 4 * (classes + 1), 4, classes)
            value = value if found['reg_class_agnostic'] else value[4:]
        elif head and head.group(1) == 'mask_head' and rest.startswith('conv_logits.'):
            found['mask_class_agnostic'] = _check_rows(
                source, key, value, classes + 1, 1, classes)
            value = value if found['mask_class_agnostic'] else value[1:]
        key = key.replace('.conv2_offset.', '.conv2.conv_offset.')  # v1 DCN
        out['roi_head.' + key if key.startswith(V1_ROI_HEADS) else key] = value
    if bags_counts is not None:
        for h in heads:
            out[f'roi_head.{h}train_instance_counts'] = torch.tensor(list(bags_counts))
        found['bags_groups'] = tuple(group_edges)
    return out, found


def _check_not_grouped(state: Dict[str, Tensor], heads: Sequence[str], rows: int,
                       source: str) -> None:
    """``fc_cls`` with ``2 + C + 4`` rows where the class-wise box regression (or mask)
    head has C classes (+ background) is the layout of a BAGS classifier (its default
    four count groups), which converts only with its training counts."""
    sizes = []
    if f'{heads[0]}fc_reg.weight' in state:
        sizes.append(state[f'{heads[0]}fc_reg.weight'].shape[0] // 4 - 1)
    for key in ('mask_head.conv_logits.weight', 'mask_head.0.conv_logits.weight'):
        if key in state:
            sizes.append(state[key].shape[0] - 1)
    grouped = [c for c in sizes if c > 0 and rows == 2 + c + 4]
    if grouped:
        raise CheckpointError(
            f'{source}: {heads[0]}fc_cls.weight has {rows} rows, 2 + {grouped[0]} classes '
            '+ 4, as a BAGS classifier: convert it with --bags TRAIN_ANN.json (its '
            'training set, whose instance counts made the groups)')


def _check_rows(source: str, key: str, value: Tensor, class_wise: int, agnostic: int,
                classes: int) -> bool:
    """True for the class-agnostic row count; an error for any count but the two."""
    rows = value.shape[0]
    if rows not in (class_wise, agnostic):
        raise CheckpointError(f'{source}: {key} has shape {tuple(value.shape)}: expected '
                              f'{class_wise} rows (class-wise, {classes} classes + '
                              f'background) or {agnostic} (class-agnostic)')
    return rows == agnostic


def upgrade_v1_calib_head(state: Dict[str, Tensor], num_classes: Optional[int] = None,
                          source: str = 'calibration head',
                          prefix: str = CALIB_PREFIX) -> 'OrderedDict[str, Tensor]':
    """A SimCal head as the original saved it, as ``{prefix}*`` weights (default
    ``roi_head.calib_head.``; a cascade stage's ``roi_head.calib_head.{stage}.``),
    background last; a classifier saved without bias gets a zero one."""
    layout = next((name for name, layers in V1_CALIB_LAYERS.items()
                   if all(f'{old}.weight' in state for old, _ in layers)), None)
    if layout is None:
        raise CheckpointError(f'{source} is not a SimCal calibration head as the original '
                              'saves them (feat_classifier.fc1/fc2/fc_classifier or '
                              'feat_extractor.fc1/fc2)')
    layers = V1_CALIB_LAYERS[layout]
    out = OrderedDict()
    for i, (old, new) in enumerate(layers):
        weight = state[f'{old}.weight']
        bias = state.get(f'{old}.bias', weight.new_zeros(weight.shape[0]))
        if i == len(layers) - 1:
            classes = weight.shape[0] - 1
            if num_classes is not None and classes != num_classes:
                raise CheckpointError(
                    f'{source}: {old}.weight has {classes} classes (+ background, shape '
                    f'{tuple(weight.shape)}), the detector {num_classes}')
            weight, bias = _background_last(weight), _background_last(bias)
        out[f'{prefix}{new}.weight'] = weight
        out[f'{prefix}{new}.bias'] = bias
    out[f'{prefix}calibrated'] = torch.tensor(True)
    return out


def _bags_train_counts(train_ann_file: str) -> list:
    """The instance count of each class (category-id order) that made an original BAGS
    model's groups. The original read the categories' ``instance_count`` fields; we count
    the annotations (``lvis_api``'s one definition): where a file has both and they
    differ, the groups could differ, so that is an error."""
    from lvis_api import load_train_counts
    from lvis_api._json import load_json
    data = load_json(train_ann_file)
    by_id = load_train_counts(data, name=train_ann_file)
    fields = {c.get('id'): c.get('instance_count') for c in data.get('categories') or []
              if isinstance(c, dict)}
    differ = [i for i, n in fields.items() if n is not None and n != by_id.get(i)]
    if differ:
        raise CheckpointError(
            f'{train_ann_file}: category {differ[0]} has instance_count '
            f'{fields[differ[0]]} but {by_id.get(differ[0])} annotations ({len(differ)} '
            'categories differ): the BAGS groups cannot be told for sure')
    return [by_id[cat_id] for cat_id in sorted(by_id)]


def convert_v1_checkpoint(in_file: str, out_file: str, num_classes: Optional[int] = None,
                          calib_head: Union[None, str, Sequence[str]] = None,
                          train_ann_file: Optional[str] = None,
                          bags_train_ann_file: Optional[str] = None) -> dict:
    """Write ``out_file``: the v1 detector ``in_file`` in the current layout, merged with
    the original SimCal head ``calib_head`` if given (a cascade: one file per stage, in
    stage order), with the training instance counts of ``train_ann_file`` that 'dual'
    mode needs; ``meta['converted_from']`` records the sources. An original BAGS model
    needs ``bags_train_ann_file``, whose instance counts made its groups. Returns what
    was found (see :func:`upgrade_v1_detector`). Nothing is written when an input does
    not convert."""
    import os.path as osp

    from .checkpoint import extract_state_dict, read_checkpoint
    from .io import atomic_write
    bags_counts = None
    if bags_train_ann_file is not None:
        bags_counts = _bags_train_counts(bags_train_ann_file)
    state, found = upgrade_v1_detector(extract_state_dict(read_checkpoint(in_file)),
                                       num_classes, source=in_file, bags_counts=bags_counts)
    sources = dict(detector=osp.abspath(in_file), layout='mmdetection v1',
                   tool='tools/model_converters/upgrade_model_version.py', **found)
    if bags_train_ann_file is not None:
        sources['bags_train_ann_file'] = osp.abspath(bags_train_ann_file)
    heads = [calib_head] if isinstance(calib_head, str) else list(calib_head or [])
    if heads:
        stages = found['num_stages']
        if len(heads) != max(stages, 1):
            raise CheckpointError(
                f'{in_file} has {stages or "no"} cascade stages: give '
                f'{"one calibration head per stage" if stages else "one calibration head"}'
                f', in stage order (got {len(heads)})')
        for s, head in enumerate(heads):
            prefix = f'{CALIB_PREFIX}{s}.' if stages else CALIB_PREFIX
            state.update(upgrade_v1_calib_head(extract_state_dict(read_checkpoint(head)),
                                               found['num_classes'], source=head,
                                               prefix=prefix))
        sources['calib_head'] = [osp.abspath(h) for h in heads] if stages else osp.abspath(
            heads[0])
        if train_ann_file is not None:
            from mmdet.calibration.heads import put_train_counts
            put_train_counts(state, train_ann_file, source=heads[0])
            sources['train_ann_file'] = osp.abspath(train_ann_file)
    elif train_ann_file is not None:
        raise ValueError('training counts (--train-ann) go into a calibration head: give '
                         'the head too (--calib-head)')
    atomic_write(out_file, lambda f: torch.save(
        dict(state_dict=state, meta=dict(converted_from=sources)), f))
    return found
