"""The inverse of the v1 converter, for tests: current-layout weights in mmdetection v1's
layout, as the SimCal paper's release stores them."""
import torch


def background_first(value):
    return torch.cat([value[-1:], value[:-1]])


def v1_detector_layout(state, agnostic_reg=False, agnostic_mask=False, seed=0):
    """v1 key names (RoI heads, cascade stages and HTC's semantic head without
    ``roi_head.``; DCN offsets as ``conv2_offset``), background first, random background
    rows for class-wise regression and masks and a random ``conv_res`` in HTC's first mask
    head (v1 built them; a converter drops them)."""
    import re
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state.items():
        if key.startswith('roi_head.calib_head.'):
            continue
        if key.startswith('roi_head.'):
            key = key[len('roi_head.'):]
        key = key.replace('.conv2.conv_offset.', '.conv2_offset.')
        head = re.match(r'(bbox_head|mask_head)\.(\d+\.)?', key)
        rest = key[head.end():] if head else ''
        if head and head.group(1) == 'bbox_head' and rest.startswith('fc_cls.'):
            value = background_first(value)
        elif head and head.group(1) == 'bbox_head' and rest.startswith('fc_reg.') \
                and not agnostic_reg:
            value = torch.cat([torch.randn(4, *value.shape[1:], generator=gen), value])
        elif head and head.group(1) == 'mask_head' and rest.startswith('conv_logits.') \
                and not agnostic_mask:
            value = torch.cat([torch.randn(1, *value.shape[1:], generator=gen), value])
        out[key] = value
        if key.startswith('mask_head.1.conv_res.'):  # v1's HTC: in the first stage too
            out[key.replace('mask_head.1.', 'mask_head.0.')] = torch.randn(
                value.shape, generator=gen)
    return out


def v1_calib_head_layout(state, prefix='roi_head.calib_head.'):
    """A 3-fc calibration head (``shared_fcs.0/1``, ``fc_cls``) as the original SimCal
    code saves it: ``feat_classifier.fc1/fc2/fc_classifier``, background first."""
    names = {'shared_fcs.0': 'fc1', 'shared_fcs.1': 'fc2', 'fc_cls': 'fc_classifier'}
    out = {}
    for ours, theirs in names.items():
        for param in ('weight', 'bias'):
            value = state[f'{prefix}{ours}.{param}']
            out[f'feat_classifier.{theirs}.{param}'] = (
                background_first(value) if ours == 'fc_cls' else value)
    return out
